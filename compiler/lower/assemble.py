"""The finished PipelineSpec and PlatformSpec from the filled-in scopes.

Dependencies found by the graph pass become `dependentTasks`, each scope
becomes a DAG component with its inputs and outputs, the pipeline's params
and outputs become the root's interface.
"""

from __future__ import annotations

from .. import __version__
from ..model import RunConfig
from .channels import child_toward, expose, output_selector, source_of, wait
from .components import definition
from .constants import constant
from .state import Lowering, Scope

SDK_VERSION = f"kfyaml-{__version__}"
SCHEMA_VERSION = "2.1.0"


def add_dependencies(lw: Lowering) -> None:
    for step, preds in lw.deps.items():
        if not preds:
            continue
        scope, name = lw.outer[step]
        task = scope.tasks[name]
        for pred in preds:
            wait(task, lw.outer[pred][1])


def pipeline_outputs(lw: Lowering) -> tuple[dict, dict]:
    """The root DAG's outputs and their definitions."""
    out: dict = {"parameters": {}, "artifacts": {}}
    defs: dict = {"parameters": {}, "artifacts": {}}
    for name, template in lw.pipeline.outputs.items():
        src = source_of(lw, template.whole)
        info = lw.refs.info(template.whole)
        pscope, ptask = lw.leaf[info.producer]
        if pscope is lw.root:
            inner_task, inner_key = ptask, info.output.name
        else:
            child = child_toward(pscope, lw.root)
            inner_task, inner_key = child.task, expose(lw, child, src)
        kind = "artifacts" if info.type.is_artifact else "parameters"
        out[kind][name] = output_selector(info.type, inner_key, inner_task)
        defs[kind][name] = definition(info.type)
    return {k: v for k, v in out.items() if v}, {k: v for k, v in defs.items() if v}


def _scopes(lw: Lowering) -> list[Scope]:
    """Every scope, parents before children, in the order steps were written."""
    children: dict[Scope, list[Scope]] = {}
    for step in lw.pipeline.all_steps():
        for scope in (lw.leaf[step][0], lw.loop_scope.get(step), lw.condition_of.get(step)):
            if scope is None:
                continue
            for node in scope.chain():
                if node.parent is not None and node not in children.setdefault(node.parent, []):
                    children[node.parent].append(node)
    found = []

    def visit(scope: Scope):
        found.append(scope)
        for child in children.get(scope, []):
            visit(child)

    visit(lw.root)
    return found


def _dag_component(scope: Scope) -> dict:
    comp: dict = {"dag": {"tasks": scope.tasks}}
    if scope.outputs:
        outputs: dict = {}
        definitions: dict = {}
        for name, (t, selector) in sorted(scope.outputs.items()):
            kind = "artifacts" if t.is_artifact else "parameters"
            outputs.setdefault(kind, {})[name] = selector
            definitions.setdefault(kind, {})[name] = definition(t)
        comp["dag"]["outputs"] = outputs
        comp["outputDefinitions"] = definitions
    if scope.inputs:
        defs: dict = {}
        for name, t in sorted(scope.inputs.items()):
            defs.setdefault("artifacts" if t.is_artifact else "parameters", {})[name] = definition(t)
        comp["inputDefinitions"] = defs
    return comp


def _root_inputs(lw: Lowering) -> dict:
    params, artifacts = {}, {}
    for name, param in lw.pipeline.params.items():
        if param.type.is_artifact and not lw.imports(param):
            artifacts[name] = definition(param.type)
            if param.has_default:  # `optional: true`: the DAG runs without it (KFP's isOptional)
                artifacts[name]["isOptional"] = True
            if param.description:
                artifacts[name]["description"] = param.description
            continue
        spec = definition(param.type) if not param.type.is_artifact else {"parameterType": "STRING"}
        if param.has_default:
            if param.default is not None:  # `optional: true` with no default: isOptional alone, as KFP writes it
                spec["defaultValue"] = constant(param.default, param.type)
            spec["isOptional"] = True
        if param.description:
            spec["description"] = param.description
        params[name] = spec
    return {k: v for k, v in (("parameters", params), ("artifacts", artifacts)) if v}


def assemble(lw: Lowering, root_outputs: tuple[dict, dict]) -> tuple[dict, dict | None]:
    scopes = _scopes(lw)
    for scope in scopes:
        for task in scope.tasks.values():
            deps = task.pop("_deps", None)
            if deps:
                task["dependentTasks"] = sorted(deps)
    components = dict(lw.components)
    for scope in scopes:
        if scope is not lw.root:
            components[f"comp-{scope.name}"] = _dag_component(scope)
    root: dict = {"dag": {"tasks": lw.root.tasks}}
    outputs, definitions = root_outputs
    if outputs:
        root["dag"]["outputs"] = outputs
        root["outputDefinitions"] = definitions
    inputs = _root_inputs(lw)
    if inputs:
        root["inputDefinitions"] = inputs
    info = {"name": lw.pipeline.name}
    if lw.pipeline.display_name != lw.pipeline.name:
        info["displayName"] = lw.pipeline.display_name
    if lw.pipeline.description:
        info["description"] = lw.pipeline.description
    spec = {
        "components": components,
        "deploymentSpec": {"executors": lw.executors},
        "pipelineInfo": info,
        "root": root,
        "schemaVersion": SCHEMA_VERSION,
        "sdkVersion": SDK_VERSION,
    }
    if lw.pipeline.root:
        spec["defaultPipelineRoot"] = lw.pipeline.root
    kubernetes: dict = {}
    if lw.platform_executors:
        kubernetes["deploymentSpec"] = {"executors": lw.platform_executors}
    config = _pipeline_config(lw.pipeline.config)
    if config:
        kubernetes["pipelineConfig"] = config
    return spec, ({"platforms": {"kubernetes": kubernetes}} if kubernetes else None)


def _pipeline_config(config: RunConfig) -> dict:
    """`pipeline_config:` as kfp-kubernetes' PipelineConfig (what `dsl.PipelineConfig` compiles to)."""
    out: dict = {}
    for key, value in (("activeDeadlineSeconds", config.timeout_s), ("resourceTtlOnCompletion", config.ttl_finished_s),
                       ("resourceTtlOnSuccess", config.ttl_success_s), ("resourceTtlOnFailure", config.ttl_failure_s)):
        if value is not None:
            out[key] = value
    if config.workspace_size:
        out["workspace"] = {"size": config.workspace_size}
        if config.workspace_pvc_patch:
            out["workspace"]["kubernetes"] = {"pvcSpecPatch": config.workspace_pvc_patch}
    return out


__all__ = ["add_dependencies", "assemble", "pipeline_outputs"]
