"""After a failure, every step downstream ends `upstream_failed` (KFP's states), never `pending`
(issue 19, point 1): steps two hops away, behind a condition, after a loop with a failed iteration,
in `--json`, and for `kfyaml test`'s `skipped` expectation."""

from __future__ import annotations

import pytest
from conftest import run_cli
from support.run_helpers import kfyaml_run

pytestmark = pytest.mark.slow  # runs pipelines

PIPELINE = """
name: downstream
params:
  models: {type: list, default: [good, bad]}
steps:
  train:
    for_each: ${{ params.models }}
    as: model
    image: alpine
    command: [sh, -c, 'test "$0" = good && echo 0.9 > "$1"', "${{ inputs.m }}", "${{ outputs.acc }}"]
    inputs: {m: string}
    outputs: {acc: float}
    with: {m: "${{ model }}"}
  compare:
    uses: stdlib/compare_models
    with: {scores: "${{ steps.train.outputs.acc }}"}
  report:
    image: alpine
    command: [echo, "${{ inputs.best }}"]
    inputs: {best: string}
    with: {best: "${{ steps.compare.outputs.best_name }}"}
  gate:
    if: ${{ steps.compare.outputs.best_score > 0.5 }}
    image: alpine
    command: [echo, deploy]
  after_gate:
    image: alpine
    command: [echo, after]
    needs: gate
  group:
    needs: after_gate
    steps:
      inner: {image: alpine, command: [echo, inner]}
"""


def test_every_step_downstream_of_a_failure_ends_upstream_failed_with_a_given_name(tmp_path):
    (tmp_path / "p.yaml").write_text(PIPELINE)
    code, result, _ = kfyaml_run(tmp_path / "p.yaml", tmp_path / "wd")
    assert code == 1
    steps = {step["step"]: (step["state"], step["reason"]) for step in result["steps"].values()}
    assert steps == {
        "train[good]": ("succeeded", None),
        "train[bad]": ("failed", None),
        "compare": ("upstream_failed", "upstream failed: train[bad]"),
        "report": ("upstream_failed", "upstream failed: compare"),
        "gate": ("upstream_failed", "upstream failed: compare"),
        "after_gate": ("upstream_failed", "upstream failed: compare"),  # behind the condition: its cause, no IR name
        "group/inner": ("upstream_failed", "upstream failed: after_gate"),
    }


def test_the_skipped_expectation_holds_for_every_step_downstream(tmp_path):
    (tmp_path / "pipeline.yaml").write_text(PIPELINE)
    (tmp_path / "pipeline.test.yaml").write_text("""cases:
  a_failed_training_skips_everything_after:
    expect:
      failed: [train]
      skipped: [compare, report, gate, after_gate, inner]
""")
    proc = run_cli("test", str(tmp_path / "pipeline.test.yaml"), "--workdir", str(tmp_path / "w"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "1 case: 1 passed, 0 failed"
