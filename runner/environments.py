"""Virtual environments for steps: one per requirement set and Python, kept across runs.

A KFP Python step starts with a shell script that pip-installs its packages
and kfp, then runs the function. Run as is, it would install into whatever
Python is first on PATH: the user's own. Here every step runs with a venv's
`bin/` first on PATH, so installs land in the venv.

The venv is layered over the user's Python environment: by default the one
running kfyaml (a virtualenv, a conda env or the system Python alike), or the
interpreter given with `--python`. `venv --system-site-packages` alone is not
that: run from inside a virtualenv it sees the *base* interpreter's packages,
not the virtualenv's. So the venv is made from the chosen interpreter and a
`.pth` file in it lists that environment's own site-packages folders. pip then
finds what the user already has ("Requirement already satisfied", no network),
installs only what is missing, and a step whose requirements are all met starts
offline. Creating the venv copies no pip (seconds, and most of its size): the
user's pip runs as `python -m pip` and installs into the venv.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from kfyaml.ir.prelude import INSTALL_MARK, installs

STAMP = ".kfyaml-ready"  # an environment's packages are installed; touched on each use
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
_PROBE = ("import json, site, sys, importlib.util; "
          "dirs = [p for p in sys.path if p and p.rstrip('/').endswith(('site-packages', 'dist-packages'))]; "
          "print(json.dumps({'dirs': dirs, 'version': '%d.%d' % sys.version_info[:2], "
          "'pip': importlib.util.find_spec('pip') is not None}))")


class EnvironmentError_(RuntimeError):
    """The step's environment could not be made; the message says why."""


@dataclasses.dataclass(frozen=True)
class Python:
    """The user's interpreter and the site-packages folders its environment sees."""

    executable: str
    version: str
    site_dirs: tuple[str, ...]
    has_pip: bool


@functools.lru_cache(maxsize=8)
def probe(executable: str | None = None) -> Python:
    """What `executable` (default: the Python running kfyaml) sees; asked of it, since it may be another env."""
    executable = executable or sys.executable
    try:
        done = subprocess.run([executable, "-c", _PROBE], capture_output=True, text=True, timeout=60)
        found = json.loads(done.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise EnvironmentError_(f"{executable} is not a Python interpreter kfyaml can use ({exc})") from None
    return Python(executable, found["version"], tuple(found["dirs"]), bool(found["pip"]))


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kfyaml" / "venvs"


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def requirements(script: str) -> list[list[str]] | str:
    """What an install script installs, in a form equal for equal requirement sets: each `pip install`'s
    words sorted (the order two steps list the same packages in changes nothing); the script itself when
    it is not one KFP writes."""
    found = installs(script)
    return [sorted(group) for group in found] if found is not None else script


def environment(script: str, log, python: Python | None = None, on_prepare=None, on_ready=None) -> Path:
    """The venv for this install script's requirement set over `python`'s environment, made and
    installed on first use and shared by every step that asks for the same set; `on_prepare()` is
    called when that work starts (the view says so), `on_ready(text)` when it is done, with what it
    installed and how big it is."""
    python = python or probe()
    wanted = requirements(script)
    key = hashlib.sha256(json.dumps([wanted, python.executable, python.site_dirs]).encode()).hexdigest()[:16]
    root = cache_root() / key
    with _lock(key):
        stamp = root / STAMP
        if stamp.exists():
            os.utime(stamp)  # used now: `kfyaml cache prune` keeps what is in use
            return root
        if on_prepare:
            on_prepare()
        packages = _shown(wanted)
        log(f"preparing the environment {root} over {python.executable} for {packages} (once for this set of "
            "packages)\n")
        root.parent.mkdir(parents=True, exist_ok=True)
        _create(root, python)
        # The script ends with `"$0" "$@"`: give it `true` to install and stop.
        done = subprocess.run(["sh", "-c", script, "true"], env=activated(root), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        log(done.stdout)
        if done.returncode != 0:
            raise EnvironmentError_(f"installing the step's packages failed (exit {done.returncode}): "
                                    f"{_last_line(done.stdout)}")
        stamp.write_text(script)
        if on_ready:
            on_ready(f"prepared a step environment for {packages} ({_size(root)}) in {root}; steps that ask for the "
                     "same packages share it, and later runs reuse it")
        return root


def _shown(wanted) -> str:
    if isinstance(wanted, str):
        return "a custom install script"
    names = [w for group in wanted for w in group if not w.startswith("-") and not w.startswith("typing-extensions")]
    return ", ".join(dict.fromkeys(names)) or "no packages"


def _size(root: Path) -> str:
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    for unit in ("B", "KiB", "MiB", "GiB"):
        if total < 1024 or unit == "GiB":
            return f"{total:.0f} {unit}" if unit == "B" else f"{total:.1f} {unit}"
        total /= 1024
    return f"{total:.1f} GiB"


def _create(root: Path, python: Python) -> None:
    command = [python.executable, "-m", "venv", "--system-site-packages", str(root)]
    done = subprocess.run(command + (["--without-pip"] if python.has_pip else []), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        raise EnvironmentError_(f"{python.executable} could not make a virtual environment: {_last_line(done.stdout)}")
    site = root / "lib" / f"python{python.version}" / "site-packages"
    site.mkdir(parents=True, exist_ok=True)
    # After the venv's own site-packages (where installs go): the user's environment, in its own order.
    # `addsitedir`, not a bare path: the folders' own .pth files (editable installs...) count too.
    (site / "_kfyaml_user_environment.pth").write_text(
        "".join(f"import site; site.addsitedir({d!r})\n" for d in python.site_dirs))
    if python.has_pip:
        for name in ("pip", "pip3", f"pip{python.version}"):
            shim = root / "bin" / name
            shim.write_text('#!/bin/sh\nexec "$(dirname "$0")/python" -m pip "$@"\n')
            shim.chmod(0o755)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def activated(root: Path, base: dict | None = None) -> dict:
    env = dict(base if base is not None else os.environ)
    env["VIRTUAL_ENV"] = str(root)
    env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONHOME", None)
    return env


def host_environment(log, python: Python | None = None, on_prepare=None) -> Path:
    """The venv inline container steps run in: their `pip install` must not reach the user's Python."""
    return environment(f"# kfyaml host steps\n{INSTALL_MARK} true && \"$0\" \"$@\"", log, python, on_prepare)
