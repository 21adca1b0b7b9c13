"""The seed's training pipeline (examples/training_pipeline.yaml), all library
steps, end to end under kfp.local on real data: validate, preprocess, train two
models in parallel, evaluate, compare, deploy in dry run, notify."""

from __future__ import annotations

import pytest
import yaml
from conftest import EXAMPLES
from support.crd_schema import problems
from support.stdlib_helpers import write_dataset

from kfyaml.compiler import api

pytestmark = pytest.mark.slow  # end to end: runs pipelines, trains models or builds environments


def _expected(source) -> dict:
    """The same split and models, straight from scikit-learn."""
    import pandas as pd
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.model_selection import train_test_split

    frame = pd.read_csv(source).dropna()
    train, test = train_test_split(frame, test_size=0.2, random_state=42, stratify=frame["target"])
    scores = {}
    for name, cls in (("random_forest", RandomForestClassifier), ("gradient_boosting", GradientBoostingClassifier)):
        model = cls(random_state=42).fit(train.drop(columns="target"), train["target"])
        scores[name] = model.score(test.drop(columns="target"), test["target"])
    best = max(scores, key=scores.get)
    return {"best_algorithm": best, "best_accuracy": scores[best]}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    from kfp import components, local

    out = tmp_path_factory.mktemp("training")
    result = api.compile_file(str(EXAMPLES / "training_pipeline.yaml"))
    assert result.ok, [d.format() for d in result.diagnostics]
    (out / "ir.yaml").write_text(result.ir_text())
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(out / "root"))
    return components.load_component_from_file(str(out / "ir.yaml")), out


def test_trains_compares_and_deploys_in_dry_run(pipeline):
    run, out = pipeline
    source = write_dataset(out, "wine")
    task = run(source=str(source), threshold=0.5)
    assert task.outputs == _expected(source)
    manifests = sorted((out / "root").glob("*/deploy/manifest"))
    assert len(manifests) == 1, "the deploy step did not run"
    manifest = yaml.safe_load(manifests[0].read_text())
    assert problems(manifest) == []
    assert manifest["spec"]["predictor"]["model"]["storageUri"].endswith("/compare/best_model")


def test_skips_the_deploy_below_the_threshold(pipeline):
    run, out = pipeline
    source = write_dataset(out, "iris")
    before = set((out / "root").glob("*/deploy/manifest"))
    task = run(source=str(source), threshold=0.999)
    assert task.outputs == _expected(source)
    assert set((out / "root").glob("*/deploy/manifest")) == before
