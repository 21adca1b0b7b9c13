"""`kfyaml.lock`: every remote `uses:` of the project, pinned to a commit and to each file's SHA-256.

One lock per project, at its root (the folder with `.kfyaml.yaml` or the
git repository's root), or beside the pipeline outside a project. The file
is YAML with its entries sorted, written whole (beside, then renamed), so a
diff shows exactly which pin moved. An entry, keyed by the `uses:` text:

    git:   {commit: <40 hex>, files: {<path>: sha256:<hex>}, uses: [<remote uses it needs>]}
    https: {sha256: <hex>}
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import yaml

FILE = "kfyaml.lock"
MAX_LOCK_BYTES = 10 * 1024 * 1024
VERSION = 1
HEADER = ("# kfyaml.lock: the remote components this project's pipelines use, pinned. Written by `kfyaml lock`;\n"
          "# commit it. `kfyaml lock --check` fails when it is stale; `kfyaml lock --update NAME` moves a pin.\n")


class LockError(Exception):
    """The lock file is there but is not one kfyaml wrote."""


@dataclasses.dataclass
class Lock:
    path: Path
    entries: dict[str, dict] = dataclasses.field(default_factory=dict)

    def save(self) -> None:
        text = HEADER + yaml.safe_dump({"version": VERSION, "sources": dict(sorted(self.entries.items()))},
                                       sort_keys=True, default_flow_style=False, width=1000)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path)


def location(pipeline: str | None, project_root: str | None) -> Path:
    base = project_root or (os.path.dirname(os.path.abspath(pipeline)) if pipeline else os.getcwd())
    return Path(base) / FILE


def load(path: Path) -> Lock:
    try:
        if path.stat().st_size > MAX_LOCK_BYTES:
            raise LockError(f"{path}: {path.stat().st_size:,} bytes; a kfyaml.lock is far smaller (the limit is "
                            f"{MAX_LOCK_BYTES:,}): restore it from version control")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Lock(path)
    except OSError as exc:
        raise LockError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text) or {}
    except (yaml.YAMLError, RecursionError) as exc:
        raise LockError(f"{path}: not valid YAML ({getattr(exc, 'problem', exc)}); restore it from version "
                        "control or delete it and run `kfyaml lock`") from None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("sources", {}), dict):
        raise LockError(f"{path}: not a kfyaml.lock of version {VERSION}; run `kfyaml lock` to write it again")
    entries = data.get("sources") or {}
    for key, entry in entries.items():
        if not isinstance(entry, dict) or not ({"commit", "files"} <= set(entry) or "sha256" in entry):
            raise LockError(f"{path}: the entry {key!r} is not one kfyaml writes; run `kfyaml lock --update {key}`")
    return Lock(path, dict(entries))
