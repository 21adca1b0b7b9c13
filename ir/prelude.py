"""The pip-install prelude of a KFP lightweight Python component.

`@dsl.component` (and kfyaml's `python:` steps) start the container with a
`sh -c` script that installs the step's packages, then runs the function.
The compiler writes the marker below into that script; the runner
recognises the script by it, to install the packages into a venv once.
"""

from __future__ import annotations

INSTALL_MARK = "PIP_DISABLE_PIP_VERSION_CHECK=1"


def install_script(command: list[str]) -> str | None:
    """The install prelude of a lightweight component's command, if it has one."""
    if len(command) >= 3 and command[:2] == ["sh", "-c"] and INSTALL_MARK in command[2]:
        return command[2]
    return None
