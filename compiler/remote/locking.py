"""Pinning a remote reference: fetch it, keep its files by digest, and pin what it needs in turn.

A remote kfyaml pipeline's relative `uses:` (and `python: {file:}`) are
files of the same repository at the same commit: they join its entry. Its
remote `uses:` are entries of their own, pinned the same way; a chain that
comes back to itself is a cycle, refused with the chain. The content is
only read as YAML, to find these: nothing fetched is run.
"""

from __future__ import annotations

import yaml

from . import fetch, images, refs, store
from .lockfile import Lock

MAX_DEPTH = 16     # remote pipelines using remote pipelines: deeper than this is not a real project
MAX_FILES = 500    # files one entry may take


class LockFailure(Exception):
    pass


def pin(lock: Lock, ref: refs.RemoteRef, sha256: str | None, update: bool = False, chain: tuple[str, ...] = (),
        with_images: bool = False) -> None:
    """Make `lock` hold `ref` (and everything it needs), fetching what the cache lacks; with `with_images`, the
    digest of each image its files name by tag too."""
    if ref.text in chain:
        raise LockFailure("remote pipelines use each other in a cycle: " + " -> ".join(chain + (ref.text,)))
    if len(chain) >= MAX_DEPTH:
        raise LockFailure(f"remote pipelines nest deeper than {MAX_DEPTH}: " + " -> ".join(chain + (ref.text,)))
    existing = lock.entries.get(ref.text)
    if ref.kind == "https":
        data = fetch.https_file(ref.url)
        actual = store.digest(data)
        if sha256 is not None and actual != f"sha256:{sha256}":
            raise store.Tampered(ref.text, f"sha256:{sha256} (the pipeline's `sha256:`)", actual)
        store.put(data)
        entry = {"sha256": actual.split(":", 1)[1]}
        _images(entry, existing, images.images_in(data), ref.text, update, with_images)
        lock.entries[ref.text] = entry
        for inner, inner_sha, relative in uses_in(data):
            if relative:
                raise LockFailure(f"{ref.text} uses `{inner}`: a file fetched over HTTPS has no folder to be "
                                  "relative to; use a git reference for a pipeline made of several files")
            pin(lock, _parsed(inner), inner_sha, update, chain + (ref.text,), with_images)
        return
    commit = fetch.commit_of(ref.url, ref.ref)
    if existing and existing.get("commit") != commit and not update:
        raise LockFailure(f"`{ref.text}`: `{ref.ref}` now points at commit {commit}, but kfyaml.lock pinned "
                          f"{existing.get('commit')}: the tag moved. If you trust the new commit, "
                          f"`kfyaml lock --update {ref.text}`")
    files: dict[str, str] = {}
    named: set[str] = set()
    remote: list[str] = []
    pending = [ref.path]
    while pending:
        path = pending.pop()
        if path in files:
            continue
        if len(files) >= MAX_FILES:
            raise LockFailure(f"{ref.text} takes more than {MAX_FILES} files")
        data = fetch.files_at(ref.url, ref.ref, commit, [path])[path]
        files[path] = store.put(data)
        named.update(images.images_in(data))
        here = refs.RemoteRef(ref.text, "git", ref.url, path, ref.ref)  # relative paths are from this file
        for inner, inner_sha, relative in uses_in(data):
            if relative:
                sibling = here.sibling(inner)
                if sibling is None:
                    raise LockFailure(f"`{inner}` in {path} of {ref.text} leads outside its repository")
                pending.append(sibling.path)
            else:
                pin(lock, _parsed(inner), inner_sha, update, chain + (ref.text,), with_images)
                remote.append(inner)
    entry = {"commit": commit, "files": dict(sorted(files.items()))}
    if remote:
        entry["uses"] = sorted(set(remote))
    _images(entry, existing, sorted(named), ref.text, update, with_images)
    lock.entries[ref.text] = entry


def _images(entry: dict, existing: dict | None, named: list[str], text: str, update: bool, resolve: bool) -> None:
    """The entry's image digests: asked of the registries with `--images`, else kept from the lock as they were."""
    before = (existing or {}).get("images") or {}
    if not resolve:
        kept = {name: digest for name, digest in before.items() if name in named}
        if kept:
            entry["images"] = kept
        return
    pinned = {}
    for name in named:
        try:
            digest = images.digest_of(name)
        except images.ImageError as exc:
            raise LockFailure(str(exc)) from None
        if name in before and before[name] != digest and not update:
            raise LockFailure(f"`{name}` (in {text}) now names {digest}, but kfyaml.lock pinned {before[name]}: the "
                              f"image tag moved. If you trust the new image, `kfyaml lock --images --update {text}`")
        pinned[name] = digest
    if pinned:
        entry["images"] = pinned


def _parsed(text: str) -> refs.RemoteRef:
    parsed = refs.parse(text)
    if isinstance(parsed, str):
        raise LockFailure(f"`uses: {refs.redact(text)}`: {parsed}")
    return parsed


def uses_in(data: bytes) -> list[tuple[str, str | None, bool]]:
    """The references a fetched file makes, if it is a kfyaml pipeline: (text, its sha256, relative?)."""
    try:
        doc = yaml.safe_load(data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        return []  # not YAML kfyaml reads: compiling it will say so at its place
    if not isinstance(doc, dict) or "steps" not in doc:
        return []  # a KFP component file: it names no other file
    found: list[tuple[str, str | None, bool]] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            uses = node.get("uses")
            if isinstance(uses, str) and not uses.startswith(("stdlib/", "components.")):
                found.append((uses, node.get("sha256"), not refs.is_remote(uses)))
            python = node.get("python")
            if isinstance(python, dict) and isinstance(python.get("file"), str):
                found.append((python["file"], None, True))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk({k: v for k, v in doc.items() if k in ("steps", "finally", "components")})
    return found
