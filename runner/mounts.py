"""A step's volume mounts on this machine: links at the mount paths, while steps need them.

A Kubernetes pod sees its volume at `mountPath`; here that path becomes a
symbolic link to the local folder the user mapped (`--volume CLAIM=DIR`), made
when the first step that needs it starts and removed when the last one ends.
kfyaml never replaces what is already at a mount path: a path that exists (and
is not the same link) is an error for the step, with what to do instead.
"""

from __future__ import annotations

import os
import threading


class MountError(RuntimeError):
    pass


class Links:
    def __init__(self):
        self._lock = threading.Lock()
        self._users: dict[str, tuple[str, int, bool]] = {}  # mount path -> (target, steps using it, made here)

    def acquire(self, links: tuple[tuple[str, str], ...]) -> None:
        done = []
        try:
            for path, target in links:
                self._one(path, os.path.abspath(target))
                done.append((path, target))
        except MountError:
            self.release(tuple(done))
            raise

    def _one(self, path: str, target: str) -> None:
        with self._lock:
            if path in self._users:
                held, count, ours = self._users[path]
                if held != target:
                    raise MountError(f"{path} is mounted from {held} by a step running now, not from {target}")
                self._users[path] = (held, count + 1, ours)
                return
            if os.path.islink(path) and os.readlink(path) == target:
                self._users[path] = (target, 1, False)  # the user's own link, the same mapping: left in place
                return
            if os.path.lexists(path):
                raise MountError(f"cannot mount {target} at {path}: {path} exists; remove it, or make it a link "
                                 f"to {target} yourself")
            try:
                os.makedirs(os.path.dirname(path) or "/", exist_ok=True)
                os.symlink(target, path)
            except OSError as exc:
                raise MountError(f"cannot mount {target} at {path}: {exc.strerror or exc}; make {path} a link to "
                                 f"{target} yourself (ln -s {target} {path})") from None
            self._users[path] = (target, 1, True)

    def release(self, links: tuple[tuple[str, str], ...]) -> None:
        with self._lock:
            for path, _ in links:
                if path not in self._users:
                    continue
                target, count, ours = self._users[path]
                if count > 1:
                    self._users[path] = (target, count - 1, ours)
                    continue
                del self._users[path]
                if ours and os.path.islink(path) and os.readlink(path) == target:
                    os.unlink(path)
