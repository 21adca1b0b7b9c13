"""IR that comes from elsewhere: component files and nested pipelines, and artifact params.

A component file's (or nested kfyaml pipeline's) IR is copied in once per
file with its component and executor names prefixed, so two files never
clash; its root becomes a DAG component the step's task refers to. An
artifact param is a URI; an importer task at the root turns it into the
artifact that steps read.
"""

from __future__ import annotations

import copy

from kfyaml.ir.types import artifact_spec, artifact_type

from ..model import Component, Param, Step
from .state import Lowering, task_name, unique_name


def import_dag(lw: Lowering, component: Component, base: str) -> str:
    """The name of the DAG component that runs `component`'s IR."""
    if component.source in lw.imported:
        return lw.imported[component.source]
    spec = component.dag
    prefix = unique_name(lw, base)
    renames: dict[str, str] = {}
    for old in spec.get("components", {}):
        renames[old] = "comp-" + unique_name(lw, prefix + "-" + old.removeprefix("comp-"))
        lw.components[renames[old]] = {}  # reserve the name
    for old in spec.get("deploymentSpec", {}).get("executors", {}):
        new = "exec-" + unique_name(lw, prefix + "-" + old.removeprefix("exec-"), executors_only=True)
        renames[old] = new
        lw.executors[new] = copy.deepcopy(spec["deploymentSpec"]["executors"][old])

    def rename(node):
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k == "componentRef" and isinstance(v, dict):
                    out[k] = {**v, "name": renames.get(v.get("name"), v.get("name"))}
                elif k == "executorLabel":
                    out[k] = renames.get(v, v)
                else:
                    out[k] = rename(v)
            return out
        if isinstance(node, list):
            return [rename(v) for v in node]
        return node

    for old, comp in spec.get("components", {}).items():
        lw.components[renames[old]] = rename(comp)
    root_name = f"comp-{prefix}"
    lw.components[root_name] = rename(spec["root"])
    platform = ((component.dag_platform or {}).get("platforms", {}).get("kubernetes", {})
                .get("deploymentSpec", {}).get("executors", {}))
    for old, config in platform.items():
        lw.platform_executors[renames.get(old, old)] = copy.deepcopy(config)
    lw.imported[component.source] = root_name
    return root_name


def add_importer(lw: Lowering, param: Param) -> None:
    """An importer task at the root, standing in as the producer of an artifact param."""
    base = f"importer-{task_name(param.name)}"
    name, n = base, 1
    while name in lw.taken:
        n += 1
        name = f"{base}-{n}"
    lw.taken.add(name)
    stand_in = Step(id=name, path=param.path, kind="component")
    lw.importers[param.name] = stand_in
    lw.leaf[stand_in] = (lw.root, name)
    lw.root.tasks[name] = {
        "cachingOptions": {"enableCache": True}, "componentRef": {"name": f"comp-{name}"},
        "inputs": {"parameters": {"uri": {"componentInputParameter": param.name}}}, "taskInfo": {"name": name}}
    lw.components[f"comp-{name}"] = {
        "executorLabel": f"exec-{name}", "inputDefinitions": {"parameters": {"uri": {"parameterType": "STRING"}}},
        "outputDefinitions": {"artifacts": {"artifact": artifact_spec(param.type.name)}}}
    lw.executors[f"exec-{name}"] = {"importer": {"artifactUri": {"runtimeParameter": "uri"},
                                                 "typeSchema": artifact_type(param.type.name)}}
