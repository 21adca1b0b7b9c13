"""train_torch_ddp across nodes on a cluster: the TrainJob `kfyaml compile` rendered, created, followed, deleted.

The real kubernetes client talks to a stand-in API server (the `cluster`
fixture) that serves Trainer v2.3's CRD; every manifest sent is checked against
that CRD. The step runs as the TrainJob's launcher does in a pod: KFYAML_RUN
unset.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml
from conftest import ROOT, TRAINJOB_CRD
from support.crd_schema import problems
from support.stdlib_helpers import artifact

from kfyaml.compiler import api
from kfyaml.stdlib_steps.train_torch_ddp import train_torch_ddp

TRAINJOBS = "/apis/trainer.kubeflow.org/v1alpha1/namespaces/team/trainjobs"


def compiled_trainjob(resources: dict | None = None, **with_) -> dict:
    """The `trainjob` input `kfyaml compile` gives a step with these `with:` values (and the run's workspace)."""
    step = {"uses": "stdlib/train_torch_ddp", "with": {"train": "${{ steps.prep.outputs.train }}", "num_nodes": 2,
                                                        **with_}}
    if resources:
        step["resources"] = resources
    pipeline = {"name": "t", "pipeline_config": {"workspace": {"size": "1Gi"}}, "steps": {
        "prep": {"uses": "stdlib/preprocess_csv", "with": {"source": "data.csv"}}, "train": step}}
    if "params.nodes" in str(with_):
        pipeline["params"] = {"nodes": {"type": "int", "default": 2}}
    text = yaml.safe_dump(pipeline)
    result = api.compile_bytes(text.encode(), "pipeline.yaml")
    assert result.ok, [d.format() for d in result.diagnostics]
    return result.pipeline_spec["root"]["dag"]["tasks"]["train"]["inputs"]["parameters"]["trainjob"]["runtimeValue"][
        "constant"]


@pytest.fixture
def data(tmp_path):
    data = artifact("dataset", tmp_path, "train.csv")
    open(data.path, "w").write("x,target\n1,0\n")
    return data


def _outputs(tmp_path):
    return {"model": artifact("model", tmp_path, "model"), "metrics": artifact("metrics", tmp_path, "metrics")}


def _node0_trains(cluster, shared):
    def on_create(path, body):
        """What rank 0 of the TrainJob leaves on the shared volume."""
        job = shared / body["metadata"]["name"]
        assert (job / "train.csv").read_text() == "x,target\n1,0\n"
        (job / "model").mkdir()
        (job / "model" / "model.pt").write_text("weights")
        (job / "metrics.json").write_text(json.dumps({"final_loss": 0.25, "epochs": 3, "world_size": 16,
                                                      "seconds_per_epoch": 4.5, "device": "cuda:0"}))
        cluster.pods = [{"metadata": {"name": "node-0-0", "namespace": "team"}}]
        cluster.logs["node-0-0"] = '{"epoch": 0, "loss": 0.5}\n'
    return on_create


@pytest.mark.parametrize("installed", ["v2.1", None])
def test_a_cluster_without_trainer_v2_2_is_refused_before_anything_is_created(tmp_path, cluster, data, installed):
    if installed == "v2.1":  # the same CRD as Trainer v2.1 shipped it: podTemplateOverrides, no runtimePatches
        spec = cluster.crds[TRAINJOB_CRD]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
        spec["properties"]["podTemplateOverrides"] = spec["properties"].pop("runtimePatches")
    else:
        del cluster.crds[TRAINJOB_CRD]
    shared = tmp_path / "shared"
    shared.mkdir()
    with pytest.raises(RuntimeError) as raised:
        train_torch_ddp(train=data, **_outputs(tmp_path), num_nodes=2, namespace="team", trainjob=compiled_trainjob(),
                        shared_volume_claim="shared-pvc", shared_mount_path=str(shared))
    assert str(raised.value) == {
        "v2.1": "this cluster's Kubeflow Trainer is older than v2.2 (its TrainJob has podTemplateOverrides, as Trainer "
                "v2.1 has); train_torch_ddp writes TrainJobs for Trainer v2.2 and later (runtimePatches): upgrade "
                "Trainer, deleting its old CRDs first as its chart does not replace them",
        None: "Kubeflow Trainer is not installed on this cluster (no TrainJob CRD): install Trainer v2.2 or later, or "
              "train on one node (num_nodes: 1)"}[installed]
    assert not [r for r in cluster.requests if r["method"] == "POST"]


def test_the_step_sends_the_compiled_trainjob_with_only_the_runs_own_fields_added(tmp_path, cluster, data):
    shared = tmp_path / "shared"
    shared.mkdir()
    cluster.on_create = _node0_trains(cluster, shared)
    compiled = compiled_trainjob(resources={"gpu": 8}, num_nodes=2, nproc_per_node=8,
                                 node_selector={"gpu-type": "h100"}, queue_name="team-gpus",
                                 shared_volume_claim="shared-pvc")
    outputs = _outputs(tmp_path)
    out = train_torch_ddp(train=data, **outputs, epochs=3, num_nodes=2, nproc_per_node=8, namespace="team",
                          shared_volume_claim="shared-pvc", shared_mount_path=str(shared), trainjob=compiled)
    assert (out.final_loss, out.world_size) == (0.25, 16)
    assert open(os.path.join(outputs["model"].path, "model.pt")).read() == "weights"
    assert outputs["metrics"].metadata["seconds_per_epoch"] == 4.5
    created = [r for r in cluster.requests if r["method"] == "POST"]
    assert [r["path"] for r in created] == [TRAINJOBS]
    sent = created[0]["body"]
    assert problems(sent) == []
    name = sent["metadata"]["name"]
    command = sent["spec"]["trainer"].pop("command")
    assert command[:2] == ["bash", "-c"] and f"exec torchrun /mnt/shared/{name}/worker.py --data " in command[2]
    expected = json.loads(json.dumps(compiled))
    expected["metadata"].update(name=name, namespace="team")
    pod = expected["spec"]["runtimePatches"][0]["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"][0][
        "template"]["spec"]["template"]["spec"]
    pod["volumes"] = [{"name": "shared", "persistentVolumeClaim": {"claimName": "shared-pvc"}}]
    pod["containers"] = [{"name": "node", "volumeMounts": [{"name": "shared", "mountPath": "/mnt/shared"}]}]
    assert sent == expected  # compile's manifest, plus the name, namespace, command and volume, and nothing else
    assert sent["spec"]["trainer"]["resourcesPerNode"] == {"limits": {"cpu": "4", "memory": "16Gi",
                                                                      "nvidia.com/gpu": 8}}
    pod_queries = [r["query"] for r in cluster.requests if r["path"].endswith("/pods")]
    assert pod_queries[-1] == ("labelSelector=jobset.sigs.k8s.io%2Fjobset-name%3D" + name
                               + "%2Cbatch.kubernetes.io%2Fjob-completion-index%3D0")


def test_the_nodes_share_the_runs_workspace(tmp_path, cluster, data, monkeypatch):
    """Without a claim, the nodes mount the PVC KFP made for the run's workspace, found on the step's own pod."""
    workspace = tmp_path / "kfp-workspace"
    workspace.mkdir()
    cluster.on_create = _node0_trains(cluster, workspace)
    monkeypatch.setenv("HOSTNAME", "run-1-train-launcher")
    cluster.objects["/api/v1/namespaces/team/pods/run-1-train-launcher"] = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "run-1-train-launcher", "namespace": "team"},
        "spec": {"containers": [{"name": "main"}], "volumes": [
            {"name": "kfp-launcher", "emptyDir": {}},
            {"name": "kfp-workspace", "persistentVolumeClaim": {"claimName": "run-1-kfp-workspace"}}]}}
    out = train_torch_ddp(train=data, **_outputs(tmp_path), num_nodes=3, namespace="team",
                          trainjob=compiled_trainjob(num_nodes=3), workspace_path=str(workspace))
    assert out.world_size == 16
    sent = next(r["body"] for r in cluster.requests if r["method"] == "POST")
    assert problems(sent) == []
    assert sent["spec"]["trainer"]["numNodes"] == 3
    pod = sent["spec"]["runtimePatches"][0]["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"][0]
    assert pod["template"]["spec"]["template"]["spec"]["volumes"] == [
        {"name": "shared", "persistentVolumeClaim": {"claimName": "run-1-kfp-workspace"}}]
    assert (workspace / sent["metadata"]["name"] / "worker.py").exists()


def test_num_nodes_from_a_param_reaches_the_trainjob(tmp_path, cluster, data):
    shared = tmp_path / "shared"
    shared.mkdir()
    cluster.on_create = _node0_trains(cluster, shared)
    compiled = compiled_trainjob(num_nodes="${{ params.nodes }}", shared_volume_claim="pvc")
    assert "numNodes" not in compiled["spec"]["trainer"]
    train_torch_ddp(train=data, **_outputs(tmp_path), num_nodes=5, namespace="team", trainjob=compiled,
                    shared_volume_claim="pvc", shared_mount_path=str(shared))
    sent = next(r["body"] for r in cluster.requests if r["method"] == "POST")
    assert sent["spec"]["trainer"]["numNodes"] == 5 and problems(sent) == []


def test_a_failed_trainjob_fails_the_step(tmp_path, cluster, data):
    shared = tmp_path / "shared"
    shared.mkdir()
    cluster.trainjob_result = "Failed"
    with pytest.raises(RuntimeError, match=r"^TrainJob kfyaml-ddp-\w+ failed: jobset finished$"):
        train_torch_ddp(train=data, **_outputs(tmp_path), num_nodes=2, namespace="team", trainjob=compiled_trainjob(),
                        shared_volume_claim="pvc", shared_mount_path=str(shared))


def test_without_a_compiled_trainjob_or_a_shared_volume_nothing_starts(tmp_path, data):
    with pytest.raises(ValueError, match=r"^num_nodes > 1 on a cluster runs the TrainJob that `kfyaml compile` "):
        train_torch_ddp(train=data, **_outputs(tmp_path), num_nodes=2, shared_volume_claim="pvc")
    with pytest.raises(ValueError, match=r"^num_nodes > 1 needs a volume the nodes share, for data and model: give "):
        train_torch_ddp(train=data, **_outputs(tmp_path), num_nodes=2, trainjob=compiled_trainjob())


CANCELLED = """
import sys
sys.path.insert(0, {tests!r})
from support.stdlib_helpers import artifact
from kfyaml.stdlib_steps.train_torch_ddp import train_torch_ddp
import json, pathlib
tmp = pathlib.Path({tmp!r})
data = artifact("dataset", tmp, "train.csv")
train_torch_ddp(train=data, model=artifact("model", tmp, "model"), metrics=artifact("metrics", tmp, "metrics"),
                num_nodes=2, namespace="team", trainjob=json.loads({trainjob!r}), shared_volume_claim="pvc",
                shared_mount_path=str(tmp / "shared"), timeout_seconds=600)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_cancelled_step_deletes_its_trainjob(tmp_path, cluster, data, sig):
    """KFP cancels a run by deleting its pods: the step gets SIGTERM (Ctrl-C under a terminal: SIGINT)."""
    (tmp_path / "shared").mkdir()
    cluster.trainjob_complete_after = None  # it trains until stopped
    script = CANCELLED.format(tests=str(ROOT / "tests"), tmp=str(tmp_path), trainjob=json.dumps(compiled_trainjob()))
    step = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "KFYAML_POLL_SECONDS": "0.05"})
    deadline = time.monotonic() + 60
    while not any(r["method"] == "GET" and "/trainjobs/" in r["path"] for r in cluster.requests):
        assert time.monotonic() < deadline and step.poll() is None, step.communicate()[0]
        time.sleep(0.05)
    step.send_signal(sig)
    output = step.communicate(timeout=60)[0]
    assert step.returncode == 128 + sig, output
    name = next(r["body"]["metadata"]["name"] for r in cluster.requests if r["method"] == "POST")
    assert [r["path"] for r in cluster.requests if r["method"] == "DELETE"] == [f"{TRAINJOBS}/{name}"]
    assert f"train_torch_ddp: the step was stopped; deleted TrainJob team/{name}\n" in output
    assert "Traceback" not in output
