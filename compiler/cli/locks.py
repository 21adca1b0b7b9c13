"""`kfyaml lock` and `kfyaml vendor`: remote `uses:` pinned in kfyaml.lock, and copied into the repository."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..config import project_root
from ..load import MAX_BYTES
from ..remote import fetch, lockfile, refs, store
from ..remote.locking import LockFailure, pin, uses_in
from ..remote.session import lock_path
from .check import UsageError
from .output import Style

_SKIP = {".git", ".kfyaml", store.VENDOR, "node_modules", "build", "dist", ".venv", "venv", "__pycache__", ".node"}
MAX_PIPELINES = 10_000


def cmd_lock(args, style: Style) -> int:
    files = _pipelines(args.files)
    lock_file = _one_lock(files)
    try:
        lock = lockfile.load(lock_file)
    except lockfile.LockError as exc:
        raise UsageError(str(exc)) from None
    wanted = _wanted(files)
    if args.check:
        return _check(lock, wanted)
    if not wanted and not lock.entries:
        print(f"no remote `uses:` in {len(files)} pipeline(s); nothing to lock", file=sys.stderr)
        return 0
    if args.update and args.update not in lock.entries and args.update not in wanted:
        raise UsageError(f"no remote `uses: {refs.redact(args.update)}` in these pipelines or in {lock.path}")
    problems = 0
    for text, sha256 in sorted(wanted.items()):
        parsed = refs.parse(text)
        if isinstance(parsed, str):
            print(f"kfyaml lock: `uses: {refs.redact(text)}`: {parsed}", file=sys.stderr)
            problems += 1
            continue
        update = args.update == "" or args.update == text
        before = lock.entries.get(text)
        try:
            pin(lock, parsed, sha256, update=update, with_images=args.images)
        except (fetch.FetchError, LockFailure, store.Tampered) as exc:
            print(f"kfyaml lock: {refs.redact(str(exc))}", file=sys.stderr)
            problems += 1
            continue
        after = lock.entries[text]
        if not style.quiet and before != after:
            pinned = after.get("commit", "")[:12] or f"sha256:{after.get('sha256', '')[:12]}"
            print(f"locked {refs.redact(text)} at {pinned}", file=sys.stderr)
    if problems:
        print(f"kfyaml lock: {problems} problem(s); {lock.path} was not changed", file=sys.stderr)
        return 1
    unused = set(lock.entries) - _reachable(lock, wanted)
    for text in unused:
        del lock.entries[text]
    try:
        lock.save()
    except OSError as exc:
        raise UsageError(f"cannot write {lock.path}: {exc.strerror or exc}") from None
    if not style.quiet:
        print(f"{lock.path}: {len(lock.entries)} source(s) pinned" + (f", {len(unused)} unused dropped" if unused else ""),
              file=sys.stderr)
    return 0


def cmd_vendor(args, style: Style) -> int:
    files = _pipelines(args.files)
    lock = lockfile.load(_one_lock(files))
    folder = lock.path.parent / store.VENDOR
    copied = 0
    for text in sorted(_reachable(lock, _wanted(files))):
        for rel, expected in _digests(lock.entries[text]).items():
            data = store.read(expected, f"{rel} of {refs.redact(text)}", None)
            if data is None:
                raise UsageError(f"{refs.redact(text)} is not in the cache; run `kfyaml lock` first")
            folder.mkdir(exist_ok=True)
            (folder / expected.split(":", 1)[1]).write_bytes(data)
            copied += 1
    if not style.quiet:
        print(f"{folder}: {copied} file(s); commit the folder, and a clone compiles with no network", file=sys.stderr)
    return 0


def _check(lock: lockfile.Lock, wanted: dict[str, str | None]) -> int:
    """Offline: every remote `uses:` pinned (an https one with its `sha256:`), no pin unused, every pinned file at
    hand and as pinned."""
    problems = []
    for text, sha256 in sorted(wanted.items()):
        entry = lock.entries.get(text)
        if entry is None:
            problems.append(f"`uses: {refs.redact(text)}` is not in {lock.path}: run `kfyaml lock`")
        elif "sha256" in entry and entry["sha256"] != sha256:
            problems.append(f"`uses: {refs.redact(text)}`: the pipeline's sha256: {sha256} is not the pinned "
                            f"{entry['sha256']}: run `kfyaml lock`")
    reachable = _reachable(lock, wanted)
    for text in sorted(set(lock.entries) - reachable):
        problems.append(f"{lock.path} pins `{refs.redact(text)}`, which no pipeline uses: run `kfyaml lock`")
    vendor = lock.path.parent / store.VENDOR
    for text in sorted(reachable & set(lock.entries)):
        for rel, expected in _digests(lock.entries[text]).items():
            try:
                if store.read(expected, f"{rel} of {refs.redact(text)}", vendor) is None:
                    problems.append(f"{rel} of `{refs.redact(text)}` is in neither the cache nor {vendor}: run "
                                    "`kfyaml lock` (or `kfyaml vendor`)")
            except store.Tampered as exc:
                problems.append(str(exc))
    for problem in problems:
        print(f"kfyaml lock --check: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"{lock.path} is current: {len(reachable)} source(s)", file=sys.stderr)
    return 0


def _digests(entry: dict) -> dict[str, str]:
    return entry["files"] if "files" in entry else {"file": f"sha256:{entry['sha256']}"}


def _reachable(lock: lockfile.Lock, wanted: dict) -> set[str]:
    seen, pending = set(), list(wanted)
    while pending:
        text = pending.pop()
        if text in seen:
            continue
        seen.add(text)
        pending.extend((lock.entries.get(text) or {}).get("uses", []))
    return seen


def _wanted(files: list[str]) -> dict[str, str | None]:
    """Every remote `uses:` of the pipelines (and of local pipelines they use), with its `sha256:`."""
    out: dict[str, str | None] = {}
    seen: set[str] = set()
    pending = [os.path.abspath(f) for f in files]
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
        for text, sha256, relative in uses_in(data):
            if relative:
                if text.endswith((".yaml", ".yml")):
                    pending.append(os.path.normpath(os.path.join(os.path.dirname(path), text)))
            else:
                out[text] = sha256
    return out


def _one_lock(files: list[str]) -> Path:
    locks = {lock_path(f) for f in files} or {lock_path(None)}
    if len(locks) > 1:
        raise UsageError("these pipelines belong to different projects (" + ", ".join(sorted(map(str, locks))) +
                         "); lock each project on its own")
    return locks.pop()


def _pipelines(given: list[str]) -> list[str]:
    """The files given, or every kfyaml pipeline under the project root (tests and vendored files left out)."""
    if given:
        return given
    root = project_root(os.getcwd()) or os.getcwd()
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP and not d.startswith("."))
        for name in sorted(names):
            if name.endswith((".yaml", ".yml")) and not name.endswith((".test.yaml", ".test.yml")):
                path = os.path.join(folder, name)
                if _is_pipeline(path):
                    found.append(os.path.relpath(path))
                    if len(found) > MAX_PIPELINES:
                        raise UsageError(f"more than {MAX_PIPELINES} pipelines under {root}: name the files")
    return found


def _is_pipeline(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(MAX_BYTES + 1)
    except OSError:
        return False
    return len(head) <= MAX_BYTES and b"steps:" in head
