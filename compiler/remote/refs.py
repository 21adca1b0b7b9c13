"""A remote `uses:` as written, parsed: `git+URL//PATH@REF` or `https://HOST/PATH` (with `sha256:`).

A reference never holds credentials: a private repository is reached with
git's own configuration (a credential helper, an SSH key), so a `user:password@`
in a pipeline file is refused, and no message ever shows one.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import PurePosixPath
from urllib.parse import urlsplit

_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
FORMS = ("`git+https://HOST/ORG/REPO//PATH/component.yaml@REF` (also `git+ssh://` and `git+file://`), or "
         "`https://HOST/PATH/component.yaml` with `sha256:`")


@dataclasses.dataclass(frozen=True)
class RemoteRef:
    text: str   # as written in `uses:`: the lock's key
    kind: str   # "git" or "https"
    url: str    # the repository (git) or the file (https)
    path: str   # the file inside the repository (git); the URL's path (https)
    ref: str    # a tag, branch or commit (git); "" for https

    @property
    def folder(self) -> str:
        return str(PurePosixPath(self.path).parent) if self.kind == "git" else ""

    def sibling(self, relative: str) -> RemoteRef | None:
        """`./other.yaml` written in this remote file: the same repository and ref, or None when it leaves it."""
        joined = PurePosixPath(self.folder) / relative
        parts: list[str] = []
        for part in joined.parts:
            if part == "..":
                if not parts:
                    return None
                parts.pop()
            elif part not in (".", ""):
                parts.append(part)
        path = "/".join(parts)
        return dataclasses.replace(self, text=f"git+{self.url}//{path}@{self.ref}", path=path)


def is_remote(text: str) -> bool:
    return isinstance(text, str) and text.startswith(("git+", "https://", "http://"))


def parse(text: str) -> RemoteRef | str:
    """The reference, or what is wrong with it (a sentence for a diagnostic)."""
    if text.startswith("git+"):
        return _git(text)
    parts = urlsplit(text)
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        return "plain `http://` can be changed on the way; use `https://` (http is allowed on 127.0.0.1 only)"
    if parts.username or parts.password:
        return _credentials()
    if not parts.hostname or not parts.path.endswith((".yaml", ".yml")):
        return f"a remote `uses:` names a YAML file: {FORMS}"
    return RemoteRef(text, "https", text, parts.path, "")


def check_sha256(value) -> str | None:
    if not isinstance(value, str) or not _SHA256.match(value):
        return "`sha256:` is the file's SHA-256 as 64 lowercase hex digits (`sha256sum component.yaml`)"
    return None


def redact(text: str) -> str:
    """Any `user:secret@` in a URL within text, hidden: git's own messages may repeat the URL."""
    return re.sub(r"(://)[^/\s@]*:[^/\s@]*@", r"\1***@", text)


def _git(text: str) -> RemoteRef | str:
    body = text[len("git+"):]
    if "@" not in body.rsplit("//", 1)[-1]:
        return f"no ref: end it with `@TAG`, `@BRANCH` or `@COMMIT` ({FORMS})"
    location, ref = body.rsplit("@", 1)
    scheme_end = location.find("://")
    split = location.find("//", scheme_end + 3) if scheme_end >= 0 else -1
    if scheme_end < 0 or split < 0:
        return f"write the repository, `//`, then the file's path in it ({FORMS})"
    url, path = location[:split], location[split + 2:]
    parts = urlsplit(url)
    if parts.scheme not in ("https", "ssh", "file", "http"):
        return f"`{parts.scheme}://` repositories are not supported: {FORMS}"
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        return "plain `http://` can be changed on the way; use `https://` or `ssh://`"
    if parts.password or (parts.username and parts.scheme != "ssh"):
        return _credentials()
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts or "\\" in path:
        return f"the path `{path}` must be a file inside the repository (no `..`, not absolute)"
    if not _REF.match(ref) or ".." in ref:
        return f"`@{ref}` is not a tag, branch or commit name"
    return RemoteRef(text, "git", url, path, ref)


def _credentials() -> str:
    return ("a URL with credentials in it: a pipeline file is read by everyone who reads the repository; "
            "let git supply them (a credential helper, an SSH key) and remove them from the URL")
