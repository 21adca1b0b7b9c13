"""A step's component and executor: its interface, container, env and resources.

Every task has its own small ComponentSpec; identical executors (same image,
command, resources, env, timeout, Kubernetes settings) are emitted once and
shared, named after the first step that needs them.
"""

from __future__ import annotations

import copy
import json

from kfyaml.ir import placeholders as ph
from kfyaml.ir.types import FINAL_STATUS, artifact_spec, artifact_type, parameter_type

from ..model import Component, Literal, Port, Step, Template, Type
from ..quantities import cpu_cores, memory_gb
from .channels import add_input, connect, source_of
from .constants import constant
from .platform import platform
from .state import Lowering, Scope, task_name, unique_name

# The task input KFP adds for a resource or image read from a param.
_RUNTIME_INPUT = {"cpu": "cpu_limit", "memory": "memory_limit", "cpu_request": "cpu_request",
                  "memory_request": "memory_request", "gpu": "accelerator_count", "gpu_type": "accelerator_type",
                  "image": "base_image"}

_RESOURCE_FIELDS = (  # (our key, KFP's number field, KFP's string field, to number)
    ("cpu", "cpuLimit", "resourceCpuLimit", cpu_cores),
    ("cpu_request", "cpuRequest", "resourceCpuRequest", cpu_cores),
    ("memory", "memoryLimit", "resourceMemoryLimit", memory_gb),
    ("memory_request", "memoryRequest", "resourceMemoryRequest", memory_gb),
)


def io_definitions(ports: dict[str, Port], status_inputs: set[str], inputs: bool = True) -> dict:
    """`inputDefinitions`/`outputDefinitions` of a component, as KFP writes them."""
    out: dict = {}
    for name, port in ports.items():
        if port.type.is_artifact:
            out.setdefault("artifacts", {})[name] = _artifact_definition(port.type)
            if port.has_default and inputs:  # `Input[Dataset] = None`: the step runs without it
                out["artifacts"][name]["isOptional"] = True
            if port.description:
                out["artifacts"][name]["description"] = port.description
            continue
        if name in status_inputs:
            out.setdefault("parameters", {})[name] = {"parameterType": FINAL_STATUS, "isOptional": True}
            continue
        spec = {"parameterType": parameter_type(port.type.name)}
        if port.has_default:
            if port.default is not None:  # `x: str = None`: optional, with no value
                spec["defaultValue"] = constant(port.default, port.type)
            spec["isOptional"] = True
        if port.description:
            spec["description"] = port.description
        out.setdefault("parameters", {})[name] = spec
    return out


def _artifact_definition(t: Type) -> dict:
    return artifact_spec(t.item.name, True) if t.name == "list" else artifact_spec(t.name)


def definition(t: Type) -> dict:
    """The definition of a DAG input or output of type `t`."""
    return _artifact_definition(t) if t.is_artifact else {"parameterType": parameter_type(t.name)}


def runtime_values(lw: Lowering, step: Step, task: dict, scope: Scope) -> dict[str, str]:
    """Resources and image read from params, as KFP passes them: each param becomes a task
    input, a named task input (`cpu_limit`, `base_image`, ...) holds its placeholder, and the
    executor field holds the same placeholder."""
    values = {field: getattr(step.resources, field) for field in _RUNTIME_INPUT if field != "image"}
    values["image"] = step.component.image
    out = {}
    for field, value in values.items():
        if not isinstance(value, Template):
            continue
        placeholder = ph.input_parameter(connect(lw, scope, task, source_of(lw, value.whole), artifact=False))
        add_input(task, _RUNTIME_INPUT[field], {"runtimeValue": {"constant": placeholder}}, False)
        out[field] = placeholder
    return out


def component_for(lw: Lowering, step: Step, status_inputs: set[str], scope: Scope, runtime: dict[str, str]) -> str:
    """The name of the step's own component, whose executor is shared with every identical step.

    Each task has a ComponentSpec of its own (small: its interface), as KFP's compiler writes
    it: kfp.local keeps a task's outputs under its component's name, so two tasks sharing one
    would overwrite each other's artifacts. The executor (the command, image, resources: the
    bulk of the bytes) and its Kubernetes settings are written once.
    """
    component = step.component
    spec: dict = {}
    inputs = io_definitions(component.inputs, status_inputs)
    if inputs:
        spec["inputDefinitions"] = inputs
    outputs = io_definitions(component.outputs, set(), inputs=False)
    if outputs:
        spec["outputDefinitions"] = outputs
    if component.importer is not None:
        executor = _importer(component.importer, step.args["uri"])
        return _named_component(lw, step, spec, executor, None)
    container = _container(component, runtime)
    env = {**component.env, **step.env}  # the step's own env overrides a component file's, key by key
    if env:
        container["env"] = [{"name": k, "value": v} for k, v in env.items()]
    resources = _resources(step, runtime)
    if resources:
        container["resources"] = resources
    executor = {"container": container}
    return _named_component(lw, step, spec, executor, platform(lw, step, scope) or None)


def _named_component(lw: Lowering, step: Step, spec: dict, executor: dict, settings: dict | None) -> str:
    name = "comp-" + unique_name(lw, task_name(step.id))
    key = json.dumps([executor, settings], sort_keys=True)
    label = lw.executor_names.get(key)
    if label is None:
        label = lw.executor_names[key] = "exec-" + unique_name(lw, task_name(step.id), executors_only=True)
        lw.executors[label] = executor
        if settings:
            lw.platform_executors[label] = settings
    spec["executorLabel"] = label
    lw.components[name] = spec
    return name


def _importer(spec: dict, uri) -> dict:
    """KFP's importer executor: the URI as written, or read from the task's `uri` input at run time."""
    importer = {"artifactUri": {"constant": uri.value} if isinstance(uri, Literal) else {"runtimeParameter": "uri"},
                "typeSchema": artifact_type(spec["type"])}
    if spec["metadata"]:  # a protobuf Struct: numbers are doubles
        importer["metadata"] = _as_struct(spec["metadata"])
    if spec["reimport"]:
        importer["reimport"] = True
    return {"importer": importer}


def _as_struct(value):
    if isinstance(value, bool) or not isinstance(value, (int, float, dict, list)):
        return value
    if isinstance(value, dict):
        return {k: _as_struct(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_struct(v) for v in value]
    return float(value)


def _container(component: Component, runtime: dict[str, str]) -> dict:
    if component.executor is not None:  # a library step: prebuilt
        return copy.deepcopy(component.executor["container"])
    image = runtime.get("image", component.image)
    if component.python is not None:
        from ..python_step import executor as python_executor

        return python_executor(component.python, image, list(component.packages))["container"]
    container = {"image": image}
    command = [_placeholder_text(v, component) for v in component.command]
    args = [_placeholder_text(v, component) for v in component.args]
    if command:
        container["command"] = command
    if args:
        container["args"] = args
    return container


def _placeholder_text(value, component: Component) -> str:
    """A command item with `${{ inputs.x }}`/`${{ outputs.y }}` as KFP placeholders."""
    if isinstance(value, Literal):
        return value.value if isinstance(value.value, str) else json.dumps(value.value)
    text = []
    for part in value.parts:
        if isinstance(part, str):
            text.append(part)
            continue
        kind, name = part.root, part.parts[0]
        port = (component.inputs if kind == "inputs" else component.outputs)[name]
        if port.type.is_artifact:
            attr = part.parts[1] if len(part.parts) == 2 else "path"
            text.append(ph.input_artifact(name, attr) if kind == "inputs" else ph.output_artifact(name, attr))
        elif kind == "inputs":
            text.append(ph.input_parameter(name))
        else:
            text.append(ph.output_parameter_file(name))
    return "".join(text)


def _resources(step: Step, runtime: dict[str, str]) -> dict:
    """KFP writes each amount twice: as a number (cores, 10^9 bytes) and as written; an amount
    read from a param only as its placeholder, resolved when the task runs."""
    r = step.resources
    out: dict = {}
    for key, number_field, text_field, to_number in _RESOURCE_FIELDS:
        if key in runtime:
            out[text_field] = runtime[key]
        elif getattr(r, key):
            out[number_field] = to_number(getattr(r, key))
            out[text_field] = getattr(r, key)
    if r.gpu:
        gpu_type = runtime.get("gpu_type") or r.gpu_type or "nvidia.com/gpu"
        count = runtime.get("gpu")
        out["accelerator"] = ({"resourceCount": count} if count else {"count": str(r.gpu), "resourceCount": str(r.gpu)})
        out["accelerator"]["resourceType"] = gpu_type
        if "gpu_type" not in runtime:  # the deprecated field takes literals only
            out["accelerator"]["type"] = gpu_type
    return out
