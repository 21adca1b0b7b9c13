"""Standing where a step stood: `kfyaml run --pause-on-error` and `debug_pause:` on this machine.

On a cluster a debug pause keeps the step's pod alive for `kubectl exec`. Here
the step's process has ended when the pause matters, so kfyaml keeps what it
takes to go back: a script in the step's folder in the run that starts a shell
where the step ran, with the environment it ran with (its venv, KFYAML_RUN, the
container's variables), runs its command again, or runs a Python step under
pdb so that it stops where it raises. The folder itself (inputs, outputs,
executor input) is the run's and stays. Values that came from secrets and
config maps are never written: the script names them and takes them from the
shell that starts it.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from kfyaml.ir.debug_pause import AFTER, BEFORE, ON_ERROR

SCRIPT = "reenter.sh"
_EXECUTOR = "-m kfp.dsl.executor_main"  # how a KFP Python step's command runs its function


def wanted(container: dict, pause_on_error: bool, ok: bool) -> bool:
    """Whether this attempt's step is kept for re-entry: `--pause-on-error` or `debug_pause: on_error` and it
    failed, or `debug_pause: after` (or `true`) whatever happened."""
    pause = {e.get("name") for e in container.get("env", []) if e.get("value") == "true"}
    return AFTER in pause or (not ok and (pause_on_error or ON_ERROR in pause))


def before_note(container: dict) -> str | None:
    """What to say once when a step asks to pause before it starts, which has no meaning here."""
    if any(e.get("name") == BEFORE and e.get("value") == "true" for e in container.get("env", [])):
        return ("debug_pause: before pauses a pod on a cluster before its step starts; kfyaml run starts the step at "
                "once (`after`, `on_error` and --pause-on-error keep a step to re-enter)")
    return None


def write(folder: Path, label: str, command: list[str], env: dict[str, str], cwd: Path, hidden: set[str]) -> Path:
    """Write the script into the step's `folder`; `hidden` names variables whose values must not be written."""
    lines = ["#!/bin/sh",
             f"# Step {label}, as `kfyaml run` ran it.",
             f"#   sh {SCRIPT}        a shell where the step ran, with its environment",
             f"#   sh {SCRIPT} run    the step's command again (it writes its outputs in this folder again)"]
    debug = _under_pdb(command)
    lines.append(f"#   sh {SCRIPT} debug  the same under pdb, stopping where it raises (Python steps)")
    for name in sorted(hidden):
        lines.append(f': "${{{name}?set {name} first: kfyaml run gave the step its value from a secret or config map, '
                     'and such values are never written to disk}"')
    for name, value in sorted(env.items()):
        if name not in hidden and os.environ.get(name) != value:
            lines.append(f"export {name}={shlex.quote(value)}")
    lines += [f"unset {name}" for name in sorted(set(os.environ) - set(env) - hidden)]
    lines += [f"cd {shlex.quote(str(cwd))}",
              'case "${1:-shell}" in',
              f"  run) exec {shlex.join(command)} ;;"]
    lines.append(f"  debug) exec {shlex.join(debug)} ;;" if debug else
                 f'  debug) echo "kfyaml: {label} is not a Python step; sh {SCRIPT} run runs it again" >&2; exit 2 ;;')
    lines += [f'  shell) echo "kfyaml: in {label}\'s working folder with its environment; exit to leave" >&2',
              '         exec "${SHELL:-/bin/sh}" ;;',
              f'  *) echo "usage: sh {SCRIPT} [run|debug]" >&2; exit 2 ;;',
              "esac", ""]
    path = folder / SCRIPT
    path.write_text("\n".join(lines), encoding="utf-8")
    path.chmod(0o700)  # the step's environment: the user's alone
    return path


def _under_pdb(command: list[str]) -> list[str] | None:
    """A KFP Python step's command with its function run under pdb (post-mortem where it raises), or None. The
    executor is started inside the command's `sh -c` script text."""
    for i, part in enumerate(command):
        if _EXECUTOR in part:
            return command[:i] + [part.replace(_EXECUTOR, "-m pdb -c continue " + _EXECUTOR, 1)] + command[i + 1:]
    return None
