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


STALE_STAGING_S = 3600  # a `.tmp-*` folder this old belongs to a store that was killed: removed


def _parameters_hash(parameters: dict) -> str:
    return hashlib.sha256(json.dumps(parameters, sort_keys=True, default=str).encode()).hexdigest()


class Cache:
    """Entries are immutable once in place: the first complete store of a key wins (a key is the
    step's whole input, so a second store holds the same result), and concurrent steps or runs on
    one workdir never remove each other's entries. Parameters are hash-checked like files; cached
    files reach a run's folder as hard links (a copy only across filesystems)."""

    def __init__(self, root: Path):
        self.root = root

    def load(self, key: str, outputs: dict, log) -> dict | None:
        """Link a valid entry's artifacts to `outputs` (name -> artifact); its parameter values, or None."""
        entry = self.root / key
        try:
            manifest = _verified(entry)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            if entry.exists():
                log(f"cache entry {key[:12]} is damaged ({exc}); ignoring it and running the step\n")
            return None
        try:
            for name, files in manifest["artifacts"].items():
                _place(entry / "files" / name, outputs[name]["uri"])
                outputs[name]["metadata"] = files.get("metadata", {})
        except OSError as exc:  # a full disk, say: the step runs instead of failing
            log(f"cache entry {key[:12]} could not be used ({exc.strerror or exc}); running the step\n")
            return None
        with contextlib.suppress(OSError):  # used now: `kfyaml cache prune` keeps what is in use
            os.utime(entry / "entry.json")
        return manifest["parameters"]

    def store(self, key: str, parameters: dict, artifacts: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.root / key
        if _complete(final):
            return  # stored already (by a concurrent step or run): the same result, checked
        if final.exists():  # damaged, or from an older kfyaml: moved aside (atomically), then replaced
            with contextlib.suppress(OSError):
                os.rename(final, tempfile.mkdtemp(prefix=".tmp-old-", dir=self.root) + "/entry")
        self._remove_stale_staging()
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
            (staging / "entry.json").write_text(json.dumps({"parameters": parameters, "artifacts": record,
                                                            "parameters_sha256": _parameters_hash(parameters)}))
            try:
                os.rename(staging, final)  # atomic; fails if another store got there first
            except OSError:
                if not _complete(final):
                    raise
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def _remove_stale_staging(self) -> None:
        import time

        for folder in self.root.glob(".tmp-*"):
            with contextlib.suppress(OSError):
                if time.time() - folder.stat().st_mtime > STALE_STAGING_S:
                    shutil.rmtree(folder, ignore_errors=True)


def _verified(entry: Path) -> dict:
    """The entry's manifest once every parameter and file matches its hash; raises otherwise."""
    manifest = json.loads((entry / "entry.json").read_text())
    if _parameters_hash(manifest["parameters"]) != manifest["parameters_sha256"]:
        raise ValueError("its output parameters do not match their hash")
    for name, files in manifest["artifacts"].items():
        if content_hash(str(entry / "files" / name)) != files["sha256"]:
            raise ValueError(f"{name} does not match its hash")
    return manifest


def _complete(entry: Path) -> bool:
    try:
        _verified(entry)
        return True
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _place(source: Path, target: str):
    """The cached file or folder at `target`: hard links where the filesystem allows, else a copy."""
    if os.path.isdir(target):
        shutil.rmtree(target)
    elif os.path.exists(target):
        os.unlink(target)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, copy_function=_link_or_copy)
    elif source.exists():
        _link_or_copy(str(source), target)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
