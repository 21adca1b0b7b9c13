"""A content-addressed cache of step results.

The key covers what determines a step's result: its component and executor
(the command, image and settings), its parameter values, the content of its
input artifacts (hashed, not their paths: the same data under another name is
a hit, changed data under the same name is a miss) and any `cacheKey`. An
entry is written to a temporary folder and renamed into place, so it is
either complete or absent. Reading checks every file against the hash
recorded for it: a corrupted or half-written entry is ignored and the step
runs again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path


def content_hash(path: str) -> str:
    """sha256 of a file, or of a folder's relative names and contents."""
    digest = hashlib.sha256()
    target = Path(path)
    if target.is_dir():
        for item in sorted(p for p in target.rglob("*") if p.is_file()):
            digest.update(str(item.relative_to(target)).encode() + b"\0")
            digest.update(_file_hash(item).encode())
    elif target.exists():
        digest.update(_file_hash(target).encode())
    else:
        digest.update(b"<missing>")
    return digest.hexdigest()


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_key(component: dict, executor: dict, parameters: dict, artifacts: dict, extra: str = "") -> str:
    material = {"component": component, "executor": executor, "parameters": parameters,
                "artifacts": {name: [content_hash(a["uri"]) for a in items] for name, items in artifacts.items()},
                "key": extra}
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


class Cache:
    def __init__(self, root: Path):
        self.root = root

    def load(self, key: str, outputs: dict, log) -> dict | None:
        """Copy a valid entry's artifacts to `outputs` (name -> artifact); its parameter values, or None."""
        entry = self.root / key
        try:
            manifest = json.loads((entry / "entry.json").read_text())
            for name, files in manifest["artifacts"].items():
                stored = entry / "files" / name
                if content_hash(str(stored)) != files["sha256"]:
                    raise ValueError(f"{name} does not match its hash")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            if entry.exists():
                log(f"cache entry {key[:12]} is damaged ({exc}); ignoring it and running the step\n")
            return None
        with contextlib.suppress(OSError):  # used now: `kfyaml cache prune` keeps what is in use
            os.utime(entry / "entry.json")
        for name, files in manifest["artifacts"].items():
            stored, target = entry / "files" / name, outputs[name]["uri"]
            _replace(stored, target)
            outputs[name]["metadata"] = files.get("metadata", {})
        return manifest["parameters"]

    def store(self, key: str, parameters: dict, artifacts: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.root))
        try:
            record = {}
            for name, art in artifacts.items():
                source = art["uri"]
                if os.path.isdir(source):
                    shutil.copytree(source, staging / "files" / name)
                elif os.path.exists(source):
                    (staging / "files").mkdir(exist_ok=True)
                    shutil.copyfile(source, staging / "files" / name)
                record[name] = {"sha256": content_hash(str(staging / "files" / name)), "metadata": art.get("metadata", {})}
            (staging / "entry.json").write_text(json.dumps({"parameters": parameters, "artifacts": record}))
            final = self.root / key
            if final.exists():
                shutil.rmtree(final)
            os.replace(staging, final)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)


def _replace(source: Path, target: str):
    if os.path.isdir(target):
        shutil.rmtree(target)
    elif os.path.exists(target):
        os.unlink(target)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target)
    elif source.exists():
        shutil.copyfile(source, target)
