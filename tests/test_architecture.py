"""The architecture as a test: import-linter's contracts (setup.cfg) and ruff's rule set (pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


def _tool(name: str) -> str:
    found = Path(sys.executable).with_name(name)
    path = str(found) if found.exists() else shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return path


def test_import_contracts_are_kept():
    proc = subprocess.run([_tool("lint-imports"), "setup.cfg"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 5 kept, 0 broken." in proc.stdout


def test_a_broken_layer_is_caught(tmp_path):
    """The contracts bite: a copy of setup.cfg whose layers are upside down must fail."""
    text = (ROOT / "setup.cfg").read_text()
    flipped = text.replace("    kfyaml.compiler.cli\n    kfyaml.compiler.api\n", "    kfyaml.compiler.api\n    kfyaml.compiler.cli\n")
    assert flipped != text
    config = tmp_path / "setup.cfg"
    config.write_text(flipped)
    proc = subprocess.run([_tool("lint-imports"), str(config)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "kfyaml.compiler.cli -> kfyaml.compiler.api" in proc.stdout


def test_ruff_is_clean():
    proc = subprocess.run([_tool("ruff"), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_module_is_over_400_lines():
    for folder in ("compiler", "runner", "ir", "stdlib_steps", "tools"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            assert lines <= 400, f"{path.relative_to(ROOT)} has {lines} lines: split it by what its parts own"
