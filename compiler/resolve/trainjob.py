"""A multi-node `stdlib/train_torch_ddp` step's Kubeflow Trainer `TrainJob`, rendered when the pipeline compiles.

The manifest goes into the IR as the step's `trainjob` input, so a reviewer
reads in the compiled pipeline what the cluster will be asked to run, and a
field Trainer would refuse (a misspelt toleration, a GPU count that is not a
number) is an error at its line in pipeline.yaml, not a failed pod hours
later. It is checked against Trainer v2.3's own TrainJob CRD
(schemas/trainjob.v1alpha1.json, generated from the vendored CRD by
tools/build_trainjob_schema.py). Only what a run alone knows is left to the
step: the job's name and namespace, the command with its paths, the volume the
nodes share (a claim, or the run's workspace), and `num_nodes` /
`nproc_per_node` when a param gives them.

The nodes get the step's `resources:`; the step's own pod then only follows
the job, so with `num_nodes` written as a number above 1 it asks for a little
CPU and memory and no GPU. With `num_nodes` from a param the step may end up
training itself (a run with 1), so it keeps its resources.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources as package_files

from ..codes import TRAINJOB
from ..diagnostics import suggest
from ..load import Path
from ..model import Literal, Resources, Step, Template
from .context import Context

STEP = "stdlib/train_torch_ddp"
API_VERSION = "trainer.kubeflow.org/v1alpha1"
TRAINER = "Kubeflow Trainer v2.3"
SET_BY_COMPILE = ("trainjob", "workspace_path")
FOLLOWER = Resources(cpu="1", memory="2Gi", cpu_request="250m", memory_request="512Mi")  # the step's own pod
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")  # Kubernetes label values, <= 63


def attach(ctx: Context, step: Step, path: Path, has_workspace: bool) -> None:
    """Render the TrainJob of a step that may train on several nodes, and give its pod only what following needs."""
    for name in SET_BY_COMPILE:
        if name in step.args:
            ctx.error(path + ("with", name), TRAINJOB, f"`{name}` is set by `kfyaml compile` for a multi-node step; "
                                                       "remove it from `with:`", key=True)
            del step.args[name]
    nodes = _arg(step, "num_nodes")
    if isinstance(nodes, int) and nodes <= 1:
        return  # one node: torchrun in the step's own pod, no TrainJob
    where = {name: path + ("with", name) if name in step.args else path + ("uses",) for name in step.component.inputs}
    fixed = [name for name in ("trainer_image", "runtime", "node_selector", "tolerations", "queue_name",
                               "shared_volume_claim") if _is_expression(step.args.get(name))]
    for name in fixed:
        ctx.error(where[name], TRAINJOB, f"`{name}` of a multi-node train_torch_ddp step is part of the TrainJob that "
                                         "`kfyaml compile` renders, so it must be written as a value, not an "
                                         "expression (only num_nodes and nproc_per_node may come from params)")
    gpu_or_cpu = [f for f in ("cpu", "memory", "cpu_request", "memory_request", "gpu", "gpu_type")
                  if isinstance(getattr(step.resources, f), Template)]
    for field in gpu_or_cpu:
        ctx.error(path + ("resources", field) if "resources" in step.written else path + ("uses",), TRAINJOB,
                  f"`resources.{field}` of a multi-node train_torch_ddp step is what each TrainJob node asks for, "
                  "rendered when the pipeline compiles: write it as a value, not an expression")
    claim = _arg(step, "shared_volume_claim")
    if not claim and not has_workspace and "shared_volume_claim" not in fixed:
        ctx.error(where["num_nodes"], TRAINJOB, "a multi-node train_torch_ddp step needs a volume its nodes share, "
                                                "for the data and the model: add `pipeline_config: {workspace: {size: "
                                                "20Gi}}` to the pipeline (a ReadWriteMany workspace), or pass "
                                                "`shared_volume_claim:` naming such a PVC")
    if fixed or gpu_or_cpu:
        return
    labels = [("queue_name", where["queue_name"], _arg(step, "queue_name") or "")]
    selector = _arg(step, "node_selector")
    if isinstance(selector, dict):
        written = "node_selector" in step.args
        labels += [(f"node_selector.{key}", where["node_selector"] + ((key,) if written else ()), value)
                   for key, value in selector.items()]
    for name, place, value in labels:
        if isinstance(value, bool) or not isinstance(value, (str, int)) or not _LABEL_VALUE.match(str(value)) \
                or len(str(value)) > 63:
            ctx.error(place, TRAINJOB, f"`{name}`: {value!r} is not a Kubernetes label value (at most 63 letters, "
                                       "digits, '-', '_' or '.', starting and ending with a letter or digit; quote a "
                                       "value YAML would read as a number or true/false)")
    manifest = render(step, nodes if isinstance(nodes, int) else None)
    for at, message in problems(manifest):
        place, field = _place(at, where, path, step)
        ctx.error(place, TRAINJOB, f"{field}: {message}")
    step.args["trainjob"] = Literal(manifest, path + ("uses",))
    if has_workspace and not claim:
        step.args["workspace_path"] = ctx.template("${{ pipeline.workspace_path }}", path + ("with", "workspace_path"))
    if isinstance(nodes, int):
        step.resources = FOLLOWER


def render(step: Step, nodes: int | None) -> dict:
    """The TrainJob less what only the run knows (see the module's docstring)."""
    trainer: dict = {"image": _arg(step, "trainer_image")}
    if nodes is not None:
        trainer["numNodes"] = nodes
    procs = _arg(step, "nproc_per_node")
    if isinstance(procs, int) and procs > 0:
        trainer["numProcPerNode"] = procs
    per_node = _resources(step.resources)
    if per_node:
        trainer["resourcesPerNode"] = per_node
    spec: dict = {"runtimeRef": {"apiGroup": "trainer.kubeflow.org", "kind": "ClusterTrainingRuntime",
                                 "name": _arg(step, "runtime")}, "trainer": trainer}
    pod: dict = {}
    selector = _arg(step, "node_selector")
    if selector:
        pod["nodeSelector"] = {str(k): str(v) for k, v in selector.items()} if isinstance(selector, dict) else selector
    tolerations = _arg(step, "tolerations")
    if tolerations:
        pod["tolerations"] = tolerations
    if pod:  # the runtime's own replicated job is `node` in every Trainer runtime for torch
        spec["runtimePatches"] = [{"manager": "kfyaml", "trainingRuntimeSpec": {"template": {"spec": {
            "replicatedJobs": [{"name": "node", "template": {"spec": {"template": {"spec": pod}}}}]}}}}]
    labels = {"app.kubernetes.io/managed-by": "kfyaml"}
    if _arg(step, "queue_name"):
        labels["kueue.x-k8s.io/queue-name"] = str(_arg(step, "queue_name"))
    return {"apiVersion": API_VERSION, "kind": "TrainJob", "metadata": {"labels": labels}, "spec": spec}


def _resources(r: Resources) -> dict:
    """The step's `resources:` as one node's: limits and requests as Kubernetes writes them."""
    limits = {k: v for k, v in (("cpu", r.cpu), ("memory", r.memory)) if v is not None}
    if r.gpu:
        limits[r.gpu_type or "nvidia.com/gpu"] = r.gpu
    requests = {k: v for k, v in (("cpu", r.cpu_request), ("memory", r.memory_request)) if v is not None}
    return {k: v for k, v in (("limits", limits), ("requests", requests)) if v}


@functools.cache
def _validator():
    import jsonschema  # only for a pipeline with a multi-node step

    schema = json.loads(package_files.files("kfyaml.schemas").joinpath("trainjob.v1alpha1.json").read_text("utf-8"))
    return jsonschema.Draft7Validator(schema)


def problems(manifest: dict) -> list[tuple[tuple, str]]:
    """What the TrainJob CRD refuses in `manifest`: (where in the manifest, message), in a stable order. The
    metadata's name and namespace are the run's, so a stand-in name is checked."""
    named = {**manifest, "metadata": {**manifest["metadata"], "name": "x"}}
    named["spec"] = {**named["spec"], "trainer": {"numNodes": 2, **named["spec"]["trainer"]}}
    found = [(tuple(e.absolute_path), f"{e.message} in {TRAINER}'s TrainJob{_did_you_mean(e)}")
             for e in _validator().iter_errors(named)]
    return sorted(found, key=lambda item: (list(map(str, item[0])), item[1]))


def _did_you_mean(error) -> str:
    """For an unknown field, the field the schema has that is closest to it."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return ""
    known = error.schema.get("properties", {})
    unknown = [key for key in error.instance if key not in known]
    return suggest(unknown[0], known) if len(unknown) == 1 else ""


def _place(at: tuple, where: dict, path: Path, step: Step) -> tuple[Path, str]:
    """Where in pipeline.yaml a manifest field comes from, and how to name it there (`tolerations[0]`)."""
    trainer = at[2:3] if at[:2] == ("spec", "trainer") else ()
    if trainer == ("resourcesPerNode",):
        field = ".".join(map(str, at[4:])) or "resources"
        return (path + ("resources",) if "resources" in step.written else path + ("uses",)), f"`resources` ({field})"
    if trainer == ("image",):
        return where["trainer_image"], "`trainer_image`"
    if at[:2] == ("spec", "runtimeRef"):
        return where["runtime"], "`runtime`"
    for field, name in (("tolerations", "tolerations"), ("nodeSelector", "node_selector")):
        if field in at:
            rest = at[at.index(field) + 1:]
            inner = where[name] + rest[:1] if name in step.args and rest else where[name]
            shown = name + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in rest)
            return inner, f"`{shown}`"
    return path + ("uses",), "the TrainJob's " + ".".join(map(str, at))


def _arg(step: Step, name: str):
    """A `with:` value written as a value, or the input's default; None for an expression."""
    value = step.args.get(name)
    if isinstance(value, Literal):
        return value.value
    if value is None:
        port = step.component.inputs.get(name)
        return port.default if port is not None else None
    return None


def _is_expression(value) -> bool:
    return value is not None and not isinstance(value, Literal)
