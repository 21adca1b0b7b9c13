"""Rendered TrainJob and InferenceService manifests validate against the real CRDs."""

from __future__ import annotations

import copy

from support.crd_schema import problems

from kfyaml.stdlib_steps.deploy_kserve import render_inferenceservice
from kfyaml.stdlib_steps.train_torch_ddp import render_trainjob


def _trainjob():
    return render_trainjob("kfyaml-ddp-1", "team", "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime",
                           "torch-distributed", 4, 8, 8, "shared-pvc", ["bash", "-c", "torchrun /mnt/shared/w.py"])


def test_trainjob_is_valid():
    manifest = _trainjob()
    assert problems(manifest) == []
    assert manifest["spec"]["trainer"]["numNodes"] == 4
    assert manifest["spec"]["trainer"]["resourcesPerNode"] == {"limits": {"nvidia.com/gpu": 8}}
    patch = manifest["spec"]["runtimePatches"][0]["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"][0]
    pod = patch["template"]["spec"]["template"]["spec"]
    assert pod["volumes"] == [{"name": "shared", "persistentVolumeClaim": {"claimName": "shared-pvc"}}]


def test_trainjob_without_volume_or_gpus_is_valid():
    manifest = render_trainjob("j", "ns", "img", "torch-distributed", 2, 0, 0, "", ["torchrun", "x.py"])
    assert problems(manifest) == []
    assert "runtimePatches" not in manifest["spec"] and "resourcesPerNode" not in manifest["spec"]["trainer"]


def test_a_misspelt_trainjob_field_is_caught():
    manifest = _trainjob()
    manifest["spec"]["trainer"]["numNode"] = manifest["spec"]["trainer"].pop("numNodes")
    assert problems(manifest) == ["spec.trainer: Additional properties are not allowed ('numNode' was unexpected)"]
    wrong_type = _trainjob()
    wrong_type["spec"]["trainer"]["numNodes"] = "four"
    assert problems(wrong_type) == ["spec.trainer.numNodes: 'four' is not of type 'integer'"]


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


def test_trainjob_places_its_nodes_and_joins_a_kueue_queue():
    tolerations = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    manifest = render_trainjob("j", "ns", "img", "torch-distributed", 2, 1, 1, "", ["torchrun", "x.py"],
                               node_selector={"gpu-type": "h100"}, tolerations=tolerations, queue_name="team-gpus")
    assert problems(manifest) == []
    assert manifest["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "kfyaml",
                                              "kueue.x-k8s.io/queue-name": "team-gpus"}
    patch = manifest["spec"]["runtimePatches"][0]["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"][0]
    assert patch["template"]["spec"]["template"]["spec"] == {"nodeSelector": {"gpu-type": "h100"},
                                                             "tolerations": tolerations}
    broken = render_trainjob("j", "ns", "img", "torch-distributed", 2, 1, 1, "", ["torchrun"],
                             tolerations=[{"key": "a", "effekt": "NoSchedule"}])
    assert problems(broken) == ["spec.runtimePatches.0.trainingRuntimeSpec.template.spec.replicatedJobs.0.template.spec"
                                ".template.spec.tolerations.0: Additional properties are not allowed ('effekt' was "
                                "unexpected)"]
