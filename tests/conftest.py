"""Shared paths and helpers for the test suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # for `tools.*` (the regeneration scripts the tests check)
    sys.path.append(str(ROOT))
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden"
DATA = ROOT / "tests" / "data"


def run_cli(*args: str, cwd: Path | None = None, input: bytes | None = None) -> subprocess.CompletedProcess:
    """Run `kfyaml` as a user would, in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", "kfyaml.compiler.cli", *args], cwd=cwd or ROOT,
                          capture_output=True, text=True, input=input, timeout=120)


@pytest.fixture
def cli():
    return run_cli

