"""Virtual environments for steps: one per requirement set, kept across runs.

A KFP Python step starts with a shell script that pip-installs its packages
and kfp, then runs the function. Run as is, it would install into whatever
Python is first on PATH: the user's own. Here every step runs with a venv's
`bin/` first on PATH, so installs land in the venv. The venvs see the system
site-packages, so what the user already has (torch, say) is reused, not
downloaded again. A venv is created and its packages installed once per
distinct install script (a stamp file marks it ready); later runs skip the
install and go straight to the function.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from pathlib import Path

from kfyaml.ir.prelude import INSTALL_MARK

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kfyaml" / "venvs"


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def environment(script: str, log) -> Path:
    """The venv for this install script, created and installed on first use."""
    key = hashlib.sha256(script.encode()).hexdigest()[:16]
    root = cache_root() / key
    with _lock(key):
        stamp = root / ".kfyaml-ready"
        if stamp.exists():
            return root
        log(f"creating the environment {root} (once for this set of packages)\n")
        root.parent.mkdir(parents=True, exist_ok=True)
        _create(root)
        # The script ends with `"$0" "$@"`: give it `true` to install and stop.
        done = subprocess.run(["sh", "-c", script, "true"], env=activated(root), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        log(done.stdout)
        if done.returncode != 0:
            raise RuntimeError(f"installing the step's packages failed (exit {done.returncode}); see the log")
        stamp.write_text(script)
        return root


def _create(root: Path) -> None:
    """A venv that sees this Python's packages. Copying pip into it is most of the cost of a venv
    (seconds, once per requirement set): where this Python has pip, the venv uses that pip through
    `python -m pip` (it installs into the venv, whose prefix it is run from), and `pip`/`pip3` in the
    venv's bin/ are small scripts that do the same, so a step's own `pip install` stays in the venv."""
    import importlib.util

    has_pip = importlib.util.find_spec("pip") is not None
    command = [sys.executable, "-m", "venv", "--system-site-packages", str(root)]
    subprocess.run(command + (["--without-pip"] if has_pip else []), check=True, stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT)
    if has_pip:
        for name in ("pip", "pip3", f"pip3.{sys.version_info.minor}"):
            shim = root / "bin" / name
            shim.write_text('#!/bin/sh\nexec "$(dirname "$0")/python" -m pip "$@"\n')
            shim.chmod(0o755)


def activated(root: Path, base: dict | None = None) -> dict:
    env = dict(base if base is not None else os.environ)
    env["VIRTUAL_ENV"] = str(root)
    env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONHOME", None)
    return env


def host_environment(log) -> Path:
    """The venv inline container steps run in: their `pip install` must not reach the user's Python."""
    return environment(f"# kfyaml host steps\n{INSTALL_MARK} true && \"$0\" \"$@\"", log)
