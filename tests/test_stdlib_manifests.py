"""Rendered InferenceService manifests validate against the real CRD (TrainJobs: test_trainjob_compile.py)."""

from __future__ import annotations

import copy

from support.crd_schema import problems

from kfyaml.stdlib_steps.deploy_kserve import render_inferenceservice


def test_inferenceservice_is_valid():
    manifest = render_inferenceservice("iris", "serving", "sklearn", "gs://bucket/models/iris", 20, 1, 3, "sa")
    assert problems(manifest) == []
    assert manifest["spec"]["predictor"] == {
        "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://bucket/models/iris"},
        "minReplicas": 1, "maxReplicas": 3, "canaryTrafficPercent": 20, "serviceAccountName": "sa"}


def test_a_misspelt_inferenceservice_field_is_caught():
    manifest = render_inferenceservice("iris", "serving", "sklearn", "gs://b/m")
    broken = copy.deepcopy(manifest)
    broken["spec"]["predictor"]["model"]["storageURI"] = broken["spec"]["predictor"]["model"].pop("storageUri")
    assert problems(broken) == ["spec.predictor.model: Additional properties are not allowed ('storageURI' was unexpected)"]
