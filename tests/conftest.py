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



TRAINJOB_CRD = "trainjobs.trainer.kubeflow.org"  # tests/data/crds/: Trainer v2.3's, see the README there


@pytest.fixture
def cluster(tmp_path, monkeypatch):
    """A stand-in Kubernetes API server (support/k8s_server.py) that serves Trainer v2.3's TrainJob CRD; the real
    `kubernetes` client reaches it through KUBECONFIG."""
    import yaml
    from support.k8s_server import FakeCluster

    with FakeCluster() as fake:
        crd = (DATA / "crds" / "trainer.kubeflow.org_trainjobs.yaml").read_text()
        fake.crds[TRAINJOB_CRD] = yaml.load(crd, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        monkeypatch.setenv("KUBECONFIG", fake.kubeconfig(tmp_path / "kubeconfig"))
        monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
        monkeypatch.setenv("KFYAML_POLL_SECONDS", "0.01")
        yield fake
