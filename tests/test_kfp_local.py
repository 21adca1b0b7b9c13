"""examples/language_tour.yaml (branches, a matrix, a nested pipeline, Python
steps and a KFP-compiled component) runs to completion under kfp.local."""

from __future__ import annotations

import pytest
from conftest import EXAMPLES

from kfyaml.compiler import api

pytestmark = pytest.mark.slow  # end to end: runs pipelines, trains models or builds environments


def _expected(values: list, threshold: float) -> dict:
    """What the example computes, written out independently of it."""
    mean = sum(values) / len(values)
    spread = sum((v - mean) ** 2 for v in values) / len(values)
    fits = [1 / (1 + spread), 1 / (1 + spread) + 0.1, 1 / (1 + spread) + 0.2]  # linear/1, quadratic/1, quadratic/2
    scaled = [v * 2.0 for v in values]
    best = round(max(round(f, 4) for f in fits) * sum(scaled) / (2 * len(scaled) * max(scaled)) * 2, 4)
    verdict = "accepted" if best > threshold else "rejected"
    return {"best": best, "verdict": f"{verdict}: best score {best:.2f}"}


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    from kfp import components, local

    out = tmp_path_factory.mktemp("tour")
    ir = out / "tour.ir.yaml"
    result = api.compile_file(str(EXAMPLES / "language_tour.yaml"))
    assert result.ok, [d.format() for d in result.diagnostics]
    ir.write_text(result.ir_text())
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(out / "root"))
    return components.load_component_from_file(str(ir))


@pytest.mark.parametrize("threshold", [0.5, 0.9])
def test_language_tour_runs_under_kfp_local(tour, threshold):
    task = tour(threshold=threshold)
    assert task.outputs == _expected([1, 2, 3], threshold)


def test_other_values(tour):
    task = tour(values=[4, 4, 5, 9], threshold=0.1)
    assert task.outputs == _expected([4, 4, 5, 9], 0.1)
