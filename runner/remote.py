"""Artifacts at remote URIs (`s3://`, `gs://`, `http(s)://`) for local runs, through fsspec.

An importer (or an artifact param) that names a remote URI is copied into the
run's folder once and the step reads the copy, as a KFP backend would hand it
a local path. Credentials and endpoints come from the usual places of each
filesystem (for S3: the AWS environment variables and config, including
`AWS_ENDPOINT_URL` for MinIO or any S3 API), never from the pipeline.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from .records import RunError

SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://")
# Which optional package serves each scheme, and the kfyaml extra that brings it.
_BACKEND = {"s3": ("s3fs", "s3"), "gs": ("gcsfs", "gcs"), "gcs": ("gcsfs", "gcs"), "http": ("aiohttp", "http"),
            "https": ("aiohttp", "http")}


def is_remote(uri: str) -> bool:
    match = SCHEME.match(uri)
    return bool(match) and match.group(1) != "file"


def fetch(uri: str, into: Path, label: str) -> str:
    """A local copy of the file or folder at `uri`, under `into`; its path."""
    scheme = SCHEME.match(uri).group(1)
    if scheme not in _BACKEND:
        raise RunError(f"{label}: kfyaml run cannot read {scheme}:// URIs ({uri}); use s3://, gs://, http(s):// "
                       "or a local path")
    package, extra = _BACKEND[scheme]
    try:
        import fsspec

        fs, path = fsspec.core.url_to_fs(uri)
    except ImportError:
        raise RunError(f"{label}: reading {uri} needs {package}: pip install 'kfyaml[{extra}]'") from None
    except Exception as exc:  # each filesystem has its own errors
        raise RunError(f"{label}: cannot open {uri}: {exc}") from None
    target = into / hashlib.sha256(uri.encode()).hexdigest()[:16] / (os.path.basename(path.rstrip("/")) or "artifact")
    if target.exists():
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if fs.isdir(path):
            fs.get(path.rstrip("/") + "/", str(target), recursive=True)
        else:
            fs.get(path, str(target))
    except FileNotFoundError:
        raise RunError(f"{label}: {uri} does not exist") from None
    except Exception as exc:
        raise RunError(f"{label}: cannot read {uri}: {type(exc).__name__}: {exc}") from None
    return str(target)
