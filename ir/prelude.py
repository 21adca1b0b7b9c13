"""The pip-install prelude and module header of a KFP lightweight Python component.

`@dsl.component` (and kfyaml's `python:` steps) start the container with a
`sh -c` script that installs the step's packages, then runs the function
from a module that begins with KFP's import header. The compiler writes
these texts, the runner recognises the install script by its marker (to
install the packages into a venv once), and `kfyaml import` reads them back:
one definition here serves all three.
"""

from __future__ import annotations

import shlex

INSTALL_MARK = "PIP_DISABLE_PIP_VERSION_CHECK=1"
PIP_INSTALL = "python3 -m pip install --quiet --no-warn-script-location"
# The module KFP writes: this header, then the user's code.
SOURCE_HEADER = "\n" + "\n".join(["import kfp", "from kfp import dsl", "from kfp.dsl import *", "from typing import *"]) + "\n\n"
INSTALL_SCRIPT = '''
if ! [ -x "$(command -v pip)" ]; then
    python3 -m ensurepip || python3 -m ensurepip --user || apt-get install python3-pip
fi

{mark} {commands} && "$0" "$@"
'''
RUN_SCRIPT = ('program_path=$(mktemp -d)\n\nprintf "%s" "$0" > "$program_path/ephemeral_component.py"\n'
              '_KFP_RUNTIME=true python3 -m kfp.dsl.executor_main                         --component_module_path'
              '                         "$program_path/ephemeral_component.py"                         "$@"\n')
# The packages KFP adds after the user's so that its executor can run.
KFP_RUNTIME_EXTRAS = ("--no-deps", 'typing-extensions>=3.7.4,<5; python_version<"3.9"')


def install_script(command: list[str]) -> str | None:
    """The install prelude of a lightweight component's command, if it has one."""
    if len(command) >= 3 and command[:2] == ["sh", "-c"] and INSTALL_MARK in command[2]:
        return command[2]
    return None


def installs(script: str) -> list[list[str]] | None:
    """The package lists of each `pip install` in an install prelude, in order; None when the
    script is not one KFP writes (an index URL, a trusted host, anything else)."""
    try:
        body = script.split(INSTALL_MARK, 1)[1]
        words = shlex.split(body.rsplit('&& "$0" "$@"', 1)[0])
    except (IndexError, ValueError):
        return None
    head = PIP_INSTALL.split()
    out, current = [], None
    for word in words + ["&&"]:
        if word == "&&":
            if current is None or current[:len(head)] != head:
                return None
            out.append(current[len(head):])
            current = None
        else:
            current = (current or []) + [word]
    return out


def user_code(module: str) -> str | None:
    """The code after KFP's module header (its trailing blank lines dropped); None without one."""
    if not module.startswith(SOURCE_HEADER):
        return None
    return module[len(SOURCE_HEADER):].rstrip("\n") + "\n"
