"""A remote `uses:` at compile time: the locked file, read from the cache or the vendored copy.

Nothing here reaches the network unless the session allows it (the CLI
without `--frozen`), and then only for a reference the lock does not hold
yet, which is pinned and written to the lock at once.
"""

from __future__ import annotations

from . import refs, session, store
from .fetch import FetchError
from .lockfile import LockError
from .locking import LockFailure, pin


class RemoteProblem(Exception):
    def __init__(self, message: str, tampered: bool = False, at_sha256: bool = False):
        super().__init__(message)
        self.tampered, self.at_sha256 = tampered, at_sha256


def local_file(text: str, sha256) -> tuple[str, dict[str, str]]:
    """The path of the locked file `uses: text` names, and the image digests its entry pins; RemoteProblem says
    why there is none."""
    parsed = refs.parse(text)
    if isinstance(parsed, str):
        raise RemoteProblem(parsed)
    if parsed.kind == "https":
        problem = refs.check_sha256(sha256)
        if problem:
            raise RemoteProblem(problem, at_sha256=sha256 is not None)
    elif sha256 is not None:
        raise RemoteProblem("`sha256:` is for `https://` files; a git reference is pinned by kfyaml.lock", at_sha256=True)
    current = session.current()
    if current is None:
        raise RemoteProblem("remote `uses:` are read through `kfyaml compile`, `lint` and `run`")
    try:
        lock = current.lock
    except LockError as exc:
        raise RemoteProblem(str(exc)) from None
    entry = lock.entries.get(text)
    if entry is not None and parsed.kind == "https" and entry.get("sha256") != sha256:
        entry = None  # the file's `sha256:` changed: pin the new content
    if entry is None:
        if not current.network:
            raise RemoteProblem(f"not in {lock.path}; run `kfyaml lock` (a remote component is never fetched with "
                                "`--frozen` or in the editor)")
        _pin(current, parsed, sha256)
        entry = lock.entries[text]
        session.report(f"locked {refs.redact(text)} in {lock.path}")
    files = entry["files"] if "files" in entry else {parsed.path.rsplit("/", 1)[-1]: f"sha256:{entry['sha256']}"}
    path = parsed.path if "files" in entry else parsed.path.rsplit("/", 1)[-1]
    try:
        root = store.tree(text, files, current.vendor)
        if root is None and current.network:  # locked, but this machine's cache lacks it: fetch the pinned commit
            _pin(current, parsed, sha256, refetch=True)
            root = store.tree(text, files, current.vendor)
    except store.Tampered as exc:
        raise RemoteProblem(str(exc), tampered=True) from None
    if root is None:
        raise RemoteProblem(f"locked, but neither the cache nor {current.vendor} has it; run `kfyaml lock` on a machine "
                            "with network access, or `kfyaml vendor` and commit the folder")
    return str(root / path), dict(entry.get("images") or {})


def _pin(current: session.Session, parsed: refs.RemoteRef, sha256, refetch: bool = False) -> None:
    lock = current.lock
    try:
        before = dict(lock.entries)
        pin(lock, parsed, sha256)
        if refetch and lock.entries != before:
            lock.entries = before
            raise RemoteProblem(f"its source no longer gives what kfyaml.lock pinned; run `kfyaml lock --update "
                                f"{refs.redact(parsed.text)}` if the change is expected")
        lock.save()
    except store.Tampered as exc:
        raise RemoteProblem(str(exc), tampered=True) from None
    except (FetchError, LockFailure) as exc:
        raise RemoteProblem(refs.redact(str(exc))) from None
    except OSError as exc:
        raise RemoteProblem(f"cannot write {lock.path}: {exc.strerror or exc}") from None
