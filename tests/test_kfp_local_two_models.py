"""Two `stdlib/train_sklearn` steps in one pipeline run correctly under kfp.local.

They share one executor but each task has its own ComponentSpec: kfp.local
keeps a task's outputs under its component's name, so with one shared
component the second model overwrote the first and its evaluation never ran.
"""

import pytest
from conftest import ROOT
from support.stdlib_helpers import write_dataset

from kfyaml.compiler import api

pytestmark = pytest.mark.slow  # end to end: runs pipelines, trains models or builds environments

PIPELINE = """
name: two-models
params:
  source: string
steps:
  prep:
    uses: stdlib/preprocess_csv
    with: {source: "${{ params.source }}", test_size: 0.25}
  rf:
    uses: stdlib/train_sklearn
    with: {train: "${{ steps.prep.outputs.train }}", algorithm: random_forest}
  logreg:
    uses: stdlib/train_sklearn
    with: {train: "${{ steps.prep.outputs.train }}", algorithm: logistic_regression}
  eval_rf:
    uses: stdlib/evaluate_classifier
    with: {model: "${{ steps.rf.outputs.model }}", test: "${{ steps.prep.outputs.test }}"}
  eval_logreg:
    uses: stdlib/evaluate_classifier
    with: {model: "${{ steps.logreg.outputs.model }}", test: "${{ steps.prep.outputs.test }}"}
outputs:
  rf_accuracy: ${{ steps.eval_rf.outputs.accuracy }}
  logreg_accuracy: ${{ steps.eval_logreg.outputs.accuracy }}
"""


def _expected(source) -> dict:
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = pd.read_csv(source).dropna()
    train, test = train_test_split(frame, test_size=0.25, random_state=42, stratify=frame["target"])
    x, y = train.drop(columns="target"), train["target"]
    models = {"rf_accuracy": RandomForestClassifier(random_state=42).fit(x, y),
              "logreg_accuracy": make_pipeline(StandardScaler(), LogisticRegression(random_state=42, max_iter=1000))
              .fit(x, y)}
    return {name: model.score(test.drop(columns="target"), test["target"]) for name, model in models.items()}


def test_two_training_steps_of_one_library_step_under_kfp_local(tmp_path):
    from kfp import components, local

    path = tmp_path / "two.yaml"
    path.write_text(PIPELINE)
    result = api.compile_file(str(path))
    assert result.ok, [d.format() for d in result.diagnostics]
    spec = result.pipeline_spec
    assert spec["components"]["comp-rf"]["executorLabel"] == spec["components"]["comp-logreg"]["executorLabel"]
    (tmp_path / "ir.yaml").write_text(result.ir_text())
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "root"))
    source = write_dataset(tmp_path, "wine")
    task = components.load_component_from_file(str(tmp_path / "ir.yaml"))(source=str(source))
    assert task.outputs == pytest.approx(_expected(source))
    assert {p.parent.name for p in (tmp_path / "root").glob("*/*/model")} == {"rf", "logreg"}


def test_root_is_the_repository():
    assert (ROOT / "stdlib_steps" / "catalog.json").exists()
