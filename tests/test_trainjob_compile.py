"""`kfyaml compile` renders a multi-node train_torch_ddp step's TrainJob into the IR, checked against the real CRD.

The rendered manifest is validated here with tests/support/crd_schema.py, which
reads Kubeflow Trainer's own CRD file (not the trimmed copy the compiler ships),
so the two checks are independent.
"""

from __future__ import annotations

import json

import yaml
from support.crd_schema import problems

from kfyaml.compiler import api
from kfyaml.compiler.resolve.trainjob import FOLLOWER

HEAD = """name: multi-node
params:
  nodes: {type: int, default: 2}
  image: {type: string, default: "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime"}
"""
WORKSPACE = """pipeline_config:
  workspace: {size: 20Gi, pvc_spec_patch: {accessModes: [ReadWriteMany]}}
"""
PREP = """steps:
  prep:
    uses: stdlib/preprocess_csv
    with: {source: data.csv}
  train:
    uses: stdlib/train_torch_ddp
    with:
      train: ${{ steps.prep.outputs.train }}
"""


def _compile(body: str, workspace: bool = True):
    """The pipeline with `body` under the train step's `with:`; only the params it reads are declared."""
    params = [line for line in HEAD.splitlines()[2:] if f"params.{line.split(':')[0].strip()}" in body]
    text = HEAD.splitlines()[0] + "\n" + ("params:\n" + "\n".join(params) + "\n" if params else "")
    text += (WORKSPACE if workspace else "") + PREP + body
    return api.compile_bytes(text.encode(), "pipeline.yaml"), text


def _task(result) -> tuple[dict, dict]:
    spec = result.pipeline_spec
    task = spec["root"]["dag"]["tasks"]["train"]
    executor = spec["deploymentSpec"]["executors"][spec["components"][task["componentRef"]["name"]]["executorLabel"]]
    return task["inputs"]["parameters"], executor["container"]


def _errors(result) -> list[str]:
    return [d.format().splitlines()[0] for d in result.diagnostics if d.severity == "error"]


def test_compile_renders_the_trainjob_with_the_steps_resources_placement_and_queue():
    result, _ = _compile("""      num_nodes: 4
      nproc_per_node: 8
      node_selector: {gpu-type: h100}
      tolerations:
        - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
      queue_name: team-gpus
    resources: {gpu: 8, cpu: "32", memory: 256Gi, memory_request: 200Gi}
""")
    assert result.ok, _errors(result)
    inputs, container = _task(result)
    manifest = inputs["trainjob"]["runtimeValue"]["constant"]
    assert manifest == {
        "apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
        "metadata": {"labels": {"app.kubernetes.io/managed-by": "kfyaml", "kueue.x-k8s.io/queue-name": "team-gpus"}},
        "spec": {
            "runtimeRef": {"apiGroup": "trainer.kubeflow.org", "kind": "ClusterTrainingRuntime",
                           "name": "torch-distributed"},
            "trainer": {"image": "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime", "numNodes": 4, "numProcPerNode": 8,
                        "resourcesPerNode": {"limits": {"cpu": "32", "memory": "256Gi", "nvidia.com/gpu": 8},
                                             "requests": {"memory": "200Gi"}}},
            "runtimePatches": [{"manager": "kfyaml", "trainingRuntimeSpec": {"template": {"spec": {"replicatedJobs": [
                {"name": "node", "template": {"spec": {"template": {"spec": {
                    "nodeSelector": {"gpu-type": "h100"},
                    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}}}}}]}}}}]}}
    # What the step adds at run time (name, namespace, command) makes a TrainJob Trainer's own CRD accepts.
    named = json.loads(json.dumps(manifest))
    named["metadata"].update(name="kfyaml-ddp-1", namespace="team")
    named["spec"]["trainer"]["command"] = ["bash", "-c", "torchrun /mnt/shared/w.py"]
    assert problems(named) == []
    assert inputs["workspace_path"] == {"runtimeValue": {"constant": "{{$.workspace_path}}"}}
    # The step's own pod only follows the job: no GPU, a little CPU and memory.
    assert container["resources"] == {"cpuLimit": 1.0, "cpuRequest": 0.25, "memoryLimit": 2.147483648,
                                      "memoryRequest": 0.536870912, "resourceCpuLimit": FOLLOWER.cpu,
                                      "resourceCpuRequest": "250m", "resourceMemoryLimit": "2Gi",
                                      "resourceMemoryRequest": "512Mi"}


def test_num_nodes_from_a_param_is_left_to_the_run_and_the_step_keeps_its_resources():
    result, _ = _compile("""      num_nodes: ${{ params.nodes }}
    resources: {gpu: 2}
""")
    assert result.ok, _errors(result)
    inputs, container = _task(result)
    trainer = inputs["trainjob"]["runtimeValue"]["constant"]["spec"]["trainer"]
    assert trainer == {"image": "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime",
                       "resourcesPerNode": {"limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": 2}}}
    assert inputs["num_nodes"] == {"componentInputParameter": "nodes"}
    assert container["resources"]["accelerator"]["resourceCount"] == "2"  # a run with nodes=1 trains here


def test_one_node_renders_no_trainjob_and_a_claim_replaces_the_workspace():
    one, _ = _compile("      num_nodes: 1\n", workspace=False)
    assert one.ok, _errors(one)
    inputs, container = _task(one)
    assert "trainjob" not in inputs and "workspace_path" not in inputs
    assert container["resources"]["accelerator"]["resourceCount"] == "1"
    claim, _ = _compile("      num_nodes: 2\n      shared_volume_claim: shared-pvc\n", workspace=True)
    assert claim.ok, _errors(claim)
    inputs, _ = _task(claim)
    assert "trainjob" in inputs and "workspace_path" not in inputs
    assert inputs["shared_volume_claim"] == {"runtimeValue": {"constant": "shared-pvc"}}


def test_the_same_file_compiles_to_the_same_bytes():
    body = "      num_nodes: 3\n      tolerations: [{key: a, operator: Exists}]\n"
    assert _compile(body)[0].ir_text() == _compile(body)[0].ir_text()


def _diagnostics(body: str, workspace: bool = True) -> tuple[list[str], str]:
    result, text = _compile(body, workspace)
    return [d.format() for d in result.diagnostics], text


def test_a_field_trainer_refuses_is_an_error_at_its_line():
    errors, _ = _diagnostics("""      num_nodes: 2
      tolerations:
        - {key: nvidia.com/gpu, operator: Exists}
        - {key: pool, effekt: NoSchedule}
""")
    assert errors == ["pipeline.yaml:15:11: error: `tolerations[1]`: Additional properties are not allowed ('effekt' "
                      "was unexpected) in Kubeflow Trainer v2.3's TrainJob; did you mean \"effect\"? [KY318]"]
    errors, _ = _diagnostics('      num_nodes: 2\n      node_selector: {pool: [a, b], zone: "eu-1", count: 8}\n')
    assert errors == ["pipeline.yaml:13:29: error: `node_selector.pool`: ['a', 'b'] is not a Kubernetes label value "
                      "(at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit; quote "
                      "a value YAML would read as a number or true/false) [KY318]"]


def test_values_the_trainjob_needs_at_compile_time_cannot_be_expressions():
    errors, _ = _diagnostics("      num_nodes: 2\n      trainer_image: ${{ params.image }}\n")
    assert errors == [
        "pipeline.yaml:15:22: error: `trainer_image` of a multi-node train_torch_ddp step is part of the TrainJob that "
        "`kfyaml compile` renders, so it must be written as a value, not an expression (only num_nodes and "
        "nproc_per_node may come from params) [KY318]"]


def test_nodes_need_a_volume_they_share():
    errors, _ = _diagnostics("      num_nodes: 2\n", workspace=False)
    assert errors == ["pipeline.yaml:10:18: error: a multi-node train_torch_ddp step needs a volume its nodes share, "
                      "for the data and the model: add `pipeline_config: {workspace: {size: 20Gi}}` to the pipeline "
                      "(a ReadWriteMany workspace), or pass `shared_volume_claim:` naming such a PVC [KY318]"]


def test_inputs_only_compile_sets_and_a_queue_kueue_cannot_read_are_refused():
    errors, _ = _diagnostics("      num_nodes: 2\n      trainjob: {kind: TrainJob}\n      queue_name: team gpus\n")
    assert errors == [
        "pipeline.yaml:13:7: error: `trainjob` is set by `kfyaml compile` for a multi-node step; remove it from "
        "`with:` [KY318]",
        "pipeline.yaml:14:19: error: `queue_name`: 'team gpus' is not a Kubernetes label value (at most 63 letters, "
        "digits, '-', '_' or '.', starting and ending with a letter or digit; quote a value YAML would read as a "
        "number or true/false) [KY318]"]


def test_the_shipped_schema_is_trainers_crd():
    """schemas/trainjob.v1alpha1.json is what tools/build_trainjob_schema.py makes of the vendored CRD."""
    from tools.build_trainjob_schema import TARGET, build

    assert TARGET.read_text("utf-8") == build(), "run python tools/build_trainjob_schema.py"
    assert yaml.safe_load(build())["properties"]["spec"]["required"] == ["runtimeRef"]


def test_import_gives_back_what_was_written(tmp_path):
    """compile -> import -> compile: the same IR, and the imported step has the nodes' resources, not its pod's."""
    from support.round_trip import check, imported

    result, _ = _compile("      num_nodes: 4\n      tolerations: [{key: a, operator: Exists}]\n"
                         "    resources: {gpu: 4, gpu_type: amd.com/gpu, memory_request: 8Gi}\n")
    assert result.ok, _errors(result)
    ir = tmp_path / "ir.yaml"
    ir.write_text(result.ir_text())
    (tmp_path / "a").mkdir()
    step = yaml.safe_load(imported(ir, tmp_path / "a").read_text())["steps"]["train"]
    assert step["resources"] == {"gpu": 4, "gpu_type": "amd.com/gpu", "memory_request": "8Gi", "cpu": "4",
                                 "memory": "16Gi"}
    assert sorted(step["with"]) == ["num_nodes", "tolerations", "train"]
    (tmp_path / "b").mkdir()
    check(ir, tmp_path / "b")
