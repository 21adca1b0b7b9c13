"""`python -m build` makes a wheel and an sdist that install and work (issue 19, point 12).

kfyaml is not on PyPI: docs/ci.md installs it from the repository or from a wheel built this way.
Both distributions are built from the tracked files (as a fresh clone has them), installed into a
new virtualenv (no index: the dependencies come from the environment running the tests), and
smoke-tested there: the schema and the standard-library catalog are inside, lint and compile work.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.slow  # builds and installs


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    source = tmp_path_factory.mktemp("source")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for rel in tracked:
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, source / rel)
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    # The sdist is what a user builds from: its own wheel (built here, as pip would build it) is tested too.
    from_sdist = tmp_path_factory.mktemp("from-sdist")
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(from_sdist),
                           str(next(out.glob("kfyaml-*.tar.gz")))], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return {"wheel": next(out.glob("kfyaml-*.whl")), "sdist": next(from_sdist.glob("kfyaml-*.whl"))}


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_the_distribution_installs_and_works(dists, kind, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    proc = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(dists[kind])],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    where = subprocess.run([str(python), "-c", "import kfyaml.compiler, kfyaml.schemas; print(kfyaml.compiler.__file__)"],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert where.stdout.strip().startswith(str(venv)), where  # the installed copy, not the checkout
    kfyaml = venv / "bin" / "kfyaml"
    shutil.copy(EXAMPLES / "basic.yaml", tmp_path / "basic.yaml")
    assert subprocess.run([str(kfyaml), "lint", "basic.yaml"], cwd=tmp_path, timeout=120).returncode == 0
    compiled = subprocess.run([str(kfyaml), "compile", "basic.yaml", "-o", "build/"], cwd=tmp_path, timeout=120)
    assert compiled.returncode == 0
    assert (tmp_path / "build" / "basic.ir.yaml").read_text() == (ROOT / "tests" / "golden" / "basic.ir.yaml").read_text()
    schema = subprocess.run([str(kfyaml), "schema"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert schema.stdout == (ROOT / "schemas" / "pipeline.schema.json").read_text()
    stdlib = tmp_path / "s.yaml"
    stdlib.write_text("name: s\nsteps:\n  c:\n    uses: stdlib/compare_models\n    with: {scores: [0.5]}\n")
    assert subprocess.run([str(kfyaml), "lint", str(stdlib)], cwd=tmp_path, timeout=120).returncode == 0
    assert Path(where.stdout.strip()).exists()
