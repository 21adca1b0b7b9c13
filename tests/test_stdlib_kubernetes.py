"""deploy_kserve with the real kubernetes client talking to a stand-in API server on 127.0.0.1
(tests/support/k8s_server.py, the `cluster` fixture) that checks every request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from support.crd_schema import problems
from support.stdlib_helpers import artifact

from kfyaml.stdlib_steps.deploy_kserve import deploy_kserve

ROOT = Path(__file__).resolve().parent.parent
ISVC = "/apis/serving.kserve.io/v1beta1/namespaces/serving/inferenceservices"


def _deploy(tmp_path, **kwargs):
    model = artifact("model", tmp_path, "model")
    model.uri = "gs://bucket/run-1/model"
    manifest, previous = artifact("artifact", tmp_path, "manifest.yaml"), artifact("artifact", tmp_path, "previous.yaml")
    out = deploy_kserve(model=model, manifest=manifest, previous=previous, service_name="iris", namespace="serving",
                        **kwargs)
    return out, yaml.safe_load(open(manifest.path)), yaml.safe_load(open(previous.path))


def test_dry_run_is_validated_server_side_and_changes_nothing(tmp_path, cluster):
    out, manifest, previous = _deploy(tmp_path, dry_run=True)
    assert (out.url, out.applied, previous) == ("", False, None)
    assert problems(manifest) == []
    assert manifest["spec"]["predictor"]["model"] == {"modelFormat": {"name": "sklearn"},
                                                      "storageUri": "gs://bucket/run-1/model"}
    assert cluster.calls() == [("GET", f"{ISVC}/iris"), ("POST", f"{ISVC}?dryRun=All")]
    assert cluster.requests[1]["body"] == manifest
    assert cluster.requests[1]["auth"] == "Bearer test-token"
    assert cluster.objects == {}


def test_dry_run_without_a_cluster_renders_only(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    out, manifest, _ = _deploy(tmp_path, dry_run=True)
    assert (out.url, out.applied) == ("", False)
    assert manifest["kind"] == "InferenceService"


def test_new_service_is_created_and_waited_for(tmp_path, cluster):
    out, manifest, previous = _deploy(tmp_path)
    assert (out.url, out.applied, previous) == ("http://iris.serving.example.com", True, None)
    assert cluster.calls() == [("GET", f"{ISVC}/iris"), ("POST", ISVC)] + [("GET", f"{ISVC}/iris")] * 3
    assert cluster.objects[f"{ISVC}/iris"]["spec"] == manifest["spec"]


def test_existing_service_is_patched_with_a_canary_and_the_old_spec_kept(tmp_path, cluster):
    old = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
           "metadata": {"name": "iris", "namespace": "serving"},
           "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://bucket/run-0/model"}}}}
    cluster.objects[f"{ISVC}/iris"] = json.loads(json.dumps(old))
    out, _, previous = _deploy(tmp_path, canary_traffic_percent=20)
    assert out.applied is True
    assert previous["spec"] == old["spec"]
    patch = [r for r in cluster.requests if r["method"] == "PATCH"]
    assert [p["body"]["spec"]["predictor"]["canaryTrafficPercent"] for p in patch] == [20]
    assert cluster.objects[f"{ISVC}/iris"]["spec"]["predictor"]["model"]["storageUri"] == "gs://bucket/run-1/model"


def test_a_revision_that_never_gets_ready_is_rolled_back(tmp_path, cluster):
    old_spec = {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://bucket/run-0/model"}}}
    cluster.objects[f"{ISVC}/iris"] = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                                       "metadata": {"name": "iris", "namespace": "serving"}, "spec": old_spec}
    cluster.ready_after = None
    with pytest.raises(RuntimeError, match=r"^InferenceService serving/iris was not Ready after 1s: Revision missing$"):
        _deploy(tmp_path, timeout_seconds=1)
    assert cluster.calls()[-1] == ("PUT", f"{ISVC}/iris")
    assert cluster.objects[f"{ISVC}/iris"]["spec"] == old_spec


def test_a_new_service_that_never_gets_ready_is_deleted(tmp_path, cluster):
    cluster.ready_after = None
    with pytest.raises(RuntimeError):
        _deploy(tmp_path, timeout_seconds=1)
    assert cluster.calls()[-1] == ("DELETE", f"{ISVC}/iris")
    assert cluster.objects == {}


def test_bad_canary_percent(tmp_path):
    with pytest.raises(ValueError, match=r"^canary_traffic_percent must be 0 \(no canary\) to 99, not 100$"):
        _deploy(tmp_path, canary_traffic_percent=100)
