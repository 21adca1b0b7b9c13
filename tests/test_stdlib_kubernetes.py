"""deploy_kserve and multi-node train_torch_ddp, with the real kubernetes client
talking to a stand-in API server on 127.0.0.1 that checks every request."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from support.crd_schema import problems
from support.k8s_server import FakeCluster
from support.stdlib_helpers import artifact

from kfyaml.stdlib_steps.deploy_kserve import deploy_kserve
from kfyaml.stdlib_steps.train_torch_ddp import train_torch_ddp

ROOT = Path(__file__).resolve().parent.parent
TRAINJOB_CRD = "trainjobs.trainer.kubeflow.org"  # tests/data/crds/: Trainer v2.3's, see its README
ISVC = "/apis/serving.kserve.io/v1beta1/namespaces/serving/inferenceservices"


@pytest.fixture
def cluster(tmp_path, monkeypatch):
    with FakeCluster() as fake:
        fake.crds[TRAINJOB_CRD] = yaml.safe_load((ROOT / "tests" / "data" / "crds" / "trainer.kubeflow.org_trainjobs.yaml").read_text())
        monkeypatch.setenv("KUBECONFIG", fake.kubeconfig(tmp_path / "kubeconfig"))
        monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
        monkeypatch.setenv("KFYAML_POLL_SECONDS", "0.01")
        yield fake


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


# ---- train_torch_ddp across nodes: Kubeflow Trainer does the work ------------------------------

TRAINJOBS = "/apis/trainer.kubeflow.org/v1alpha1/namespaces/team/trainjobs"


@pytest.mark.parametrize("installed", ["v2.1", None])
def test_a_cluster_without_trainer_v2_2_is_refused_before_anything_is_created(tmp_path, cluster, installed):
    if installed == "v2.1":  # the same CRD as Trainer v2.1 shipped it: podTemplateOverrides, no runtimePatches
        spec = cluster.crds[TRAINJOB_CRD]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
        spec["properties"]["podTemplateOverrides"] = spec["properties"].pop("runtimePatches")
    else:
        del cluster.crds[TRAINJOB_CRD]
    shared = tmp_path / "shared"
    shared.mkdir()
    data = artifact("dataset", tmp_path, "train.csv")
    open(data.path, "w").write("x,target\n1,0\n")
    with pytest.raises(RuntimeError) as raised:
        train_torch_ddp(train=data, model=artifact("model", tmp_path, "model"),
                        metrics=artifact("metrics", tmp_path, "metrics"), num_nodes=2, namespace="team",
                        shared_volume_claim="shared-pvc", shared_mount_path=str(shared))
    assert str(raised.value) == {
        "v2.1": "this cluster's Kubeflow Trainer is older than v2.2 (its TrainJob has podTemplateOverrides, as Trainer "
                "v2.1 has); train_torch_ddp writes TrainJobs for Trainer v2.2 and later (runtimePatches): upgrade "
                "Trainer, deleting its old CRDs first as its chart does not replace them",
        None: "Kubeflow Trainer is not installed on this cluster (no TrainJob CRD): install Trainer v2.2 or later, or "
              "train on one node (num_nodes: 1)"}[installed]
    assert not [r for r in cluster.requests if r["method"] == "POST"]


def test_multi_node_training_hands_the_job_to_kubeflow_trainer(tmp_path, cluster):
    shared = tmp_path / "shared"
    shared.mkdir()

    def node0_trains(path, body):
        """What rank 0 of the TrainJob leaves on the shared volume."""
        job = shared / body["metadata"]["name"]
        assert (job / "train.csv").read_text() == "x,target\n1,0\n"
        (job / "model").mkdir()
        (job / "model" / "model.pt").write_text("weights")
        (job / "metrics.json").write_text(json.dumps({"final_loss": 0.25, "epochs": 3, "world_size": 16,
                                                      "seconds_per_epoch": 4.5, "device": "cuda:0"}))
        cluster.pods = [{"metadata": {"name": "node-0-0", "namespace": "team"}}]
        cluster.logs["node-0-0"] = '{"epoch": 0, "loss": 0.5}\n'

    cluster.on_create = node0_trains
    data = artifact("dataset", tmp_path, "train.csv")
    open(data.path, "w").write("x,target\n1,0\n")
    model, metrics = artifact("model", tmp_path, "model"), artifact("metrics", tmp_path, "metrics")
    out = train_torch_ddp(train=data, model=model, metrics=metrics, epochs=3, num_nodes=2, nproc_per_node=8,
                          gpus_per_node=8, namespace="team", shared_volume_claim="shared-pvc",
                          shared_mount_path=str(shared), node_selector={"gpu-type": "h100"}, queue_name="team-gpus")
    assert (out.final_loss, out.world_size) == (0.25, 16)
    assert open(os.path.join(model.path, "model.pt")).read() == "weights"
    assert metrics.metadata["seconds_per_epoch"] == 4.5
    created = [r for r in cluster.requests if r["method"] == "POST"]
    assert [r["path"] for r in created] == [TRAINJOBS]
    manifest = created[0]["body"]
    assert problems(manifest) == []
    trainer = manifest["spec"]["trainer"]
    assert (trainer["numNodes"], trainer["numProcPerNode"], trainer["resourcesPerNode"]) == (
        2, 8, {"limits": {"nvidia.com/gpu": 8}})
    assert manifest["spec"]["runtimeRef"] == {"apiGroup": "trainer.kubeflow.org", "kind": "ClusterTrainingRuntime",
                                              "name": "torch-distributed"}
    assert "torchrun /mnt/shared/" in trainer["command"][2]
    assert manifest["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "team-gpus"
    pod = manifest["spec"]["runtimePatches"][0]["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"][0]
    assert pod["template"]["spec"]["template"]["spec"]["nodeSelector"] == {"gpu-type": "h100"}
    pod_queries = [r["query"] for r in cluster.requests if r["path"].endswith("/pods")]
    assert pod_queries[-1] == ("labelSelector=jobset.sigs.k8s.io%2Fjobset-name%3D" + manifest["metadata"]["name"]
                               + "%2Cbatch.kubernetes.io%2Fjob-completion-index%3D0")


def test_multi_node_failure_is_reported(tmp_path, cluster):
    shared = tmp_path / "shared"
    shared.mkdir()
    cluster.trainjob_result = "Failed"
    data = artifact("dataset", tmp_path, "train.csv")
    open(data.path, "w").write("x,target\n1,0\n")
    with pytest.raises(RuntimeError, match=r"^TrainJob kfyaml-ddp-\w+ failed: jobset finished$"):
        train_torch_ddp(train=data, model=artifact("model", tmp_path, "m"), metrics=artifact("metrics", tmp_path, "x"),
                        num_nodes=2, namespace="team", shared_volume_claim="pvc", shared_mount_path=str(shared))


def test_multi_node_needs_a_shared_volume(tmp_path):
    data = artifact("dataset", tmp_path, "train.csv")
    with pytest.raises(ValueError, match=r"^num_nodes > 1 needs shared_volume_claim"):
        train_torch_ddp(train=data, model=artifact("model", tmp_path, "m"), metrics=artifact("metrics", tmp_path, "x"),
                        num_nodes=2)
