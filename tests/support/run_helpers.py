"""Running `kfyaml run` as a user would, and reading its --json result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def kfyaml_run(pipeline: Path, workdir: Path, *args: str, env: dict | None = None, timeout: int = 600):
    """`kfyaml run --json`: (exit code, parsed result or None, stderr)."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "kfyaml.compiler.cli", "run", str(pipeline), "--workdir", str(workdir),
                           "--json", *args], capture_output=True, text=True, timeout=timeout, env=full_env)
    result = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc.returncode, result, proc.stderr


def states(result: dict) -> dict:
    return {path: step["state"] for path, step in result["steps"].items()}
