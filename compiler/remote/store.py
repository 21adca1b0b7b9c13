"""Where remote files live once fetched: a content-addressed cache, and `kfyaml vendor`'s copy.

Every file is kept under its SHA-256 (`blobs/<hex>`), in the user's cache
(`$XDG_CACHE_HOME/kfyaml/components`) and, after `kfyaml vendor`, in
`kfyaml_vendor/` beside the lock, which is read first. Every read checks the
content against the digest the lock names: content that differs (a tampered
cache, an edited vendored file) is refused with both digests. The compiler
reads a locked component from a *tree*: the locked files of one entry laid
out as in their repository, with a `.kfyaml.yaml` at its top so that, like a
project root, no path inside it reaches out.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePosixPath

VENDOR = "kfyaml_vendor"


class Tampered(Exception):
    def __init__(self, what: str, expected: str, actual: str):
        super().__init__(f"{what} does not match kfyaml.lock: its content is {actual}, the lock says {expected}; "
                         "something changed it since it was locked. Delete it (or run `kfyaml lock --update`) and "
                         "check where it came from")
        self.expected, self.actual = expected, actual


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kfyaml" / "components"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def put(data: bytes) -> str:
    """Keep `data` in the cache; its digest."""
    name = digest(data)
    target = cache_dir() / "blobs" / name.split(":", 1)[1]
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return name


def read(expected: str, what: str, vendor: Path | None) -> bytes | None:
    """The content the lock names, from the vendored copy or the cache; None when neither has it."""
    hexdigest = expected.split(":", 1)[-1]
    for folder in ([vendor] if vendor else []) + [cache_dir() / "blobs"]:
        path = folder / hexdigest
        if path.is_file():
            data = path.read_bytes()
            actual = digest(data)
            if actual != expected:
                raise Tampered(f"{what} (kept as {path})", expected, actual)
            return data
    return None


def tree(key: str, files: dict[str, str], vendor: Path | None) -> Path | None:
    """The entry's files laid out under one folder, each checked; None when one is in neither store."""
    name = hashlib.sha256(("\n".join(f"{p} {d}" for p, d in sorted(files.items())) + key).encode()).hexdigest()[:32]
    root = cache_dir() / "trees" / name
    for rel, expected in sorted(files.items()):
        target = root / PurePosixPath(rel)
        if target.is_file() and digest(target.read_bytes()) == expected:
            continue
        data = read(expected, f"{rel} of {key}", vendor)
        if data is None:
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    marker = root / ".kfyaml.yaml"  # the tree is its own project root: nothing in it reads outside it
    if not marker.exists():
        marker.write_text("# a locked remote component's files (kfyaml's cache)\n", encoding="utf-8")
    return root


def tree_root_of(path: str) -> str | None:
    """The tree a file of the cache belongs to, or None for any other file."""
    trees = os.path.realpath(cache_dir() / "trees")
    real = os.path.realpath(path)
    if os.path.commonpath([real, trees]) != trees or real == trees:
        return None
    return os.path.join(trees, os.path.relpath(real, trees).split(os.sep)[0])
