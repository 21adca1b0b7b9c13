"""`kfyaml cache`: what the step cache and the step environments hold, and pruning what is unused.

Each cached result and each environment is stamped when it is used (the
results' `entry.json`, the environments' `.kfyaml-ready`), so "older than 7d"
means "not used for 7 days", not "made 7 days ago".
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class Usage:
    entries: int
    size: int  # bytes


def _entries(root: Path, stamp: str) -> list[tuple[Path, float]]:
    if not root.is_dir():
        return []
    out = []
    for entry in sorted(root.iterdir()):
        marker = entry / stamp
        if entry.is_dir() and marker.exists():
            out.append((entry, marker.stat().st_mtime))
    return out


def _size(path: Path) -> int:
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    return total


def usage(root: Path, stamp: str) -> Usage:
    entries = _entries(root, stamp)
    return Usage(len(entries), sum(_size(e) for e, _ in entries))


def prune(root: Path, stamp: str, older_than_s: float) -> Usage:
    """Remove the entries not used for `older_than_s` seconds; what was removed."""
    cutoff = time.time() - older_than_s
    count = size = 0
    for entry, used in _entries(root, stamp):
        if used < cutoff:
            bytes_ = _size(entry)
            shutil.rmtree(entry, ignore_errors=True)
            count, size = count + 1, size + bytes_
    return Usage(count, size)


def human(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
