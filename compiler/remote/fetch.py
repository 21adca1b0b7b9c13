"""The only module that reaches the network: git for repositories, HTTPS for single files.

Called by `kfyaml lock` and, unless `--frozen`, when compile, lint or run
meet a remote `uses:` that is not locked yet; never by the language server.
git runs with `GIT_TERMINAL_PROMPT=0`, so a private repository is reached
with git's own configuration (credential helpers, SSH keys) or fails at
once, and git's messages are shown with any `user:secret@` hidden.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import urllib.error
import urllib.request

from ..load import MAX_BYTES
from .refs import redact
from .store import cache_dir

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
TIMEOUT = 120


class FetchError(Exception):
    pass


def commit_of(url: str, ref: str) -> str:
    """The commit a tag or branch names now (a commit names itself)."""
    if _COMMIT.match(ref):
        return ref
    out = _git("ls-remote", "--", url, f"refs/tags/{ref}", f"refs/tags/{ref}^{{}}", f"refs/heads/{ref}")
    found = dict(reversed(line.split("\t", 1)) for line in out.splitlines() if "\t" in line)
    for name in (f"refs/tags/{ref}^{{}}", f"refs/tags/{ref}", f"refs/heads/{ref}"):  # an annotated tag: its commit
        if name in found:
            return found[name]
    raise FetchError(f"{redact(url)} has no tag or branch `{ref}`")


def files_at(url: str, ref: str, commit: str, paths: list[str]) -> dict[str, bytes]:
    """The files at `commit` of the repository, each at most MAX_BYTES; fetched once into a bare cache."""
    repo = cache_dir() / "git" / hashlib.sha256(url.encode()).hexdigest()[:24]
    if not (repo / "HEAD").exists():
        repo.mkdir(parents=True, exist_ok=True)
        _git("init", "--bare", "-q", str(repo))
    if not _has(repo, commit):
        wanted = commit if _COMMIT.match(ref) else (f"refs/tags/{ref}" if _is_tag(url, ref) else f"refs/heads/{ref}")
        try:
            _git("-C", str(repo), "fetch", "-q", "--depth", "1", "--", url, wanted)
        except FetchError:
            pass
        if not _has(repo, commit):  # the ref moved since: ask for the commit itself
            _git("-C", str(repo), "fetch", "-q", "--depth", "1", "--", url, commit)
    out = {}
    for path in paths:
        try:
            size = int(_git("-C", str(repo), "cat-file", "-s", f"{commit}:{path}").strip())
        except FetchError:
            raise FetchError(f"{redact(url)} has no file `{path}` at {commit[:12]}") from None
        if size > MAX_BYTES:
            raise FetchError(f"`{path}` in {redact(url)} is {size:,} bytes; the limit is {MAX_BYTES:,}")
        out[path] = _git_bytes("-C", str(repo), "cat-file", "blob", f"{commit}:{path}")
    return out


def https_file(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "kfyaml"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            data = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{redact(url)} answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise FetchError(f"{redact(url)} could not be reached: {getattr(exc, 'reason', exc)}") from None
    if len(data) > MAX_BYTES:
        raise FetchError(f"{redact(url)} is larger than {MAX_BYTES:,} bytes, the limit")
    return data


def _is_tag(url: str, ref: str) -> bool:
    out = _git("ls-remote", "--tags", "--", url, f"refs/tags/{ref}")
    return bool(out.strip())


def _has(repo, commit: str) -> bool:
    try:
        _git("-C", str(repo), "cat-file", "-e", f"{commit}^{{commit}}")
        return True
    except FetchError:
        return False


def _git(*args: str) -> str:
    return _git_bytes(*args).decode("utf-8", "replace")


def _git_bytes(*args: str) -> bytes:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": "",
           "GIT_SSH_COMMAND": os.environ.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")}
    try:
        done = subprocess.run(["git", *args], capture_output=True, env=env, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise FetchError("git is not installed; remote `uses:` from repositories need it") from None
    except subprocess.TimeoutExpired:
        raise FetchError(f"git {args[0]} took longer than {TIMEOUT} s") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise FetchError(redact(f"git {args[0] if args[0] != '-C' else args[2]}: {lines[-1] if lines else 'failed'}"))
    return done.stdout
