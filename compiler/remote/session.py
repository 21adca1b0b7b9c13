"""One compile's view of remote components: which lock, whether the network may be used.

A ContextVar, so that a nested pipeline's compile (a remote pipeline that
itself uses remote steps) reads the same lock as the file that started it.
The network is off unless the command line turns it on (compile, lint and
run do, except with `--frozen`); the language server and the library API
never fetch.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
from pathlib import Path

from .lockfile import Lock, load, location
from .store import VENDOR

_current: contextvars.ContextVar[Session | None] = contextvars.ContextVar("kfyaml_remote_session", default=None)
_network: dict = {"allowed": False, "report": None}


@dataclasses.dataclass
class Session:
    lock_path: Path
    network: bool
    _lock: Lock | None = None

    @property
    def lock(self) -> Lock:
        if self._lock is None:
            self._lock = load(self.lock_path)
        return self._lock

    @property
    def vendor(self) -> Path:
        return self.lock_path.parent / VENDOR


def allow_network(allowed: bool, report=None) -> None:
    """The CLI's choice: fetch what is not locked yet (and lock it, saying so through `report`), or refuse it
    (`--frozen`)."""
    _network["allowed"], _network["report"] = allowed, report


def report(text: str) -> None:
    if _network["report"] is not None:
        _network["report"](text)


def current() -> Session | None:
    return _current.get()


def lock_path(pipeline: str | None) -> Path:
    """kfyaml.lock at the pipeline's project root, or beside it outside a project."""
    from ..config import project_root

    folder = os.path.dirname(os.path.abspath(pipeline)) if pipeline else os.getcwd()
    return location(pipeline, project_root(folder))


@contextlib.contextmanager
def for_pipeline(pipeline: str | None):
    """The session of a top-level compile; a nested compile keeps its parent's."""
    if _current.get() is not None:
        yield _current.get()
        return
    token = _current.set(Session(lock_path(pipeline), _network["allowed"]))
    try:
        yield _current.get()
    finally:
        _current.reset(token)
