"""Each node of the structure as a kfyaml step: its kind, `with:`, `needs:`, `if:`, loop and settings.

`needs:` lists only the waits that no data reference already implies (the
compiler adds those back), so the file says what the author said.
"""

from __future__ import annotations

import json

from kfyaml.ir.types import INTEGER

from . import containers, platform, trainjob
from .conditions import branch_conditions, condition
from .context import Importer
from .sources import Expr, Lit, binding_value, constant, has_placeholder, output, wrap
from .structure import Node

_RUNTIME_INPUTS = {"cpu_limit", "memory_limit", "cpu_request", "memory_request", "accelerator_count",
                   "accelerator_type", "base_image"}
_DEFAULT_RETRY = {"backoffDuration": "0s", "backoffFactor": 2.0, "backoffMaxDuration": "3600s"}


def steps_of(ctx: Importer, nodes: list[Node], in_finally: bool = False) -> dict:
    return {node.id: step(ctx, node, in_finally) for node in nodes}


def step(ctx: Importer, node: Node, in_finally: bool = False) -> dict:
    ctx.out.places[(ctx.file, node.id)] = node.frame.path + ("dag", "tasks", node.key)
    body: dict = {}
    if node.display_name:
        body["display_name"] = node.display_name
    if node.loop:
        body.update(_loop(ctx, *node.loop))
    if node.cond:
        frame, key, task = node.cond
        expr = condition(ctx, frame, task, task["triggerPolicy"]["condition"], frame.path + ("dag", "tasks", key, "triggerPolicy"))
        if expr is not None:
            body["if"] = f"${{{{ {expr} }}}}"
    if node.kind == "leaf":
        body.update(_leaf(ctx, node, in_finally))
    elif node.kind == "nested":
        body.update(_nested(ctx, node, in_finally))
    elif node.kind == "group":
        body["steps"] = steps_of(ctx, node.children)
    elif node.kind == "exit":
        body["steps"] = steps_of(ctx, node.children)
        body["finally"] = steps_of(ctx, node.finally_, in_finally=True)
    elif node.kind == "branches":
        body["branches"] = _branches(ctx, node)
    needs = _needs(ctx, node, in_finally)
    if needs:
        body["needs"] = needs
    return body


def _loop(ctx: Importer, frame, key: str, task: dict) -> dict:
    iterator = task.get("parameterIterator") or task.get("artifactIterator")
    items = iterator.get("items", {})
    path = frame.path + ("dag", "tasks", key)
    out: dict = {}
    if "raw" in items:
        out["for_each"] = json.loads(items["raw"])
    else:
        name = items.get("inputParameter") or items.get("inputArtifact")
        binding = task.get("inputs", {}).get("parameters", {}).get(name) or task.get("inputs", {}).get("artifacts", {}).get(name)
        out["for_each"] = wrap(binding_value(ctx, frame, binding or {}, path + ("inputs", name)))
    var = ctx.frame_of(task).loop_var
    if var != "item":
        out["as"] = var
    limit = task.get("iteratorPolicy", {}).get("parallelismLimit")
    if limit:
        out["max_parallel"] = limit
    return out


def _leaf(ctx: Importer, node: Node, in_finally: bool) -> dict:
    frame, key, task = node.leaf
    path = frame.path + ("dag", "tasks", key)
    body = containers.leaf_body(ctx, frame, node.id, task, path)
    args = _with(ctx, node, skip={"uri"} if "importer" in body else trainjob.set_by_compile(body, task))
    nodes = trainjob.node_resources(body, task)
    if nodes is not None:  # a multi-node step: its pod follows the TrainJob; the nodes have what was written
        body.pop("resources", None)
        if nodes:
            body["resources"] = nodes
    if args:
        body["with"] = args
    if "importer" in body:
        return body
    caching = task.get("cachingOptions", {})
    if not caching.get("enableCache"):
        body["cache"] = False
    elif caching.get("cacheKey"):
        body["cache"] = {"key": caching["cacheKey"]}
    retry = task.get("retryPolicy")
    if retry and retry.get("maxRetryCount"):
        body["retry"] = {"max": retry["maxRetryCount"]}
        for field, ours in (("backoffDuration", "backoff"), ("backoffFactor", "factor"), ("backoffMaxDuration", "max_backoff")):
            if field in retry and retry[field] != _DEFAULT_RETRY[field]:
                body["retry"][ours] = retry[field]
    if _ignores_failure(task, in_finally):
        body["ignore_upstream_failure"] = True
    body.update(platform.settings(ctx, frame, ctx.component(task).get("executorLabel", ""), path))
    return body


def _nested(ctx: Importer, node: Node, in_finally: bool) -> dict:
    from .document import nested_file

    frame, key, task = node.leaf
    body: dict = {"uses": nested_file(ctx, task["componentRef"]["name"])}
    args = _with(ctx, node, set())
    if args:
        body["with"] = args
    if _ignores_failure(task, in_finally):
        body["ignore_upstream_failure"] = True
    return body


def _ignores_failure(task: dict, in_finally: bool) -> bool:
    return not in_finally and task.get("triggerPolicy", {}).get("strategy") == "ALL_UPSTREAM_TASKS_COMPLETED"


def _with(ctx: Importer, node: Node, skip: set[str]) -> dict:
    frame, key, task = node.leaf
    comp = ctx.component(task)
    declared = comp.get("inputDefinitions") or {}
    types = {name: spec.get("parameterType") for name, spec in (declared.get("parameters") or {}).items()}
    known = set(types) | set(declared.get("artifacts") or {})
    out = {}
    bindings = [(name, kind, binding) for kind in ("parameters", "artifacts")
                for name, binding in (task.get("inputs", {}).get(kind) or {}).items()]
    for name, kind, binding in sorted(bindings, key=lambda b: b[0]):
        path = frame.path + ("dag", "tasks", key, "inputs", kind, name)
        if name in skip or name.startswith("pipelinechannel--") or (name in _RUNTIME_INPUTS and name not in known):
                continue
        if name not in known:
            ctx.problems.add(path, f"the task sets `{name}`, which its component does not declare")
            continue
        value = binding_value(ctx, frame, binding, path)
        if isinstance(value, Lit) and has_placeholder(value.value):
            out[name] = constant(ctx, frame, task, value.value, path + ("runtimeValue", "constant"))
        elif isinstance(value, Lit) and types.get(name) == INTEGER and isinstance(value.value, float) and value.value.is_integer():
            out[name] = int(value.value)
        elif isinstance(value, Lit) and isinstance(value.value, str) and "${{" in value.value:
            ctx.problems.add(path, "the text holds `${{`, which kfyaml would read as an expression")
        else:
            out[name] = wrap(value)
    return out


def _needs(ctx: Importer, node: Node, in_finally: bool) -> list[str]:
    frame, task = node.frame, node.task
    implied = set()
    for binding in list((task.get("inputs", {}).get("parameters") or {}).values()) + \
            list((task.get("inputs", {}).get("artifacts") or {}).values()):
        for key in ("taskOutputParameter", "taskOutputArtifact"):
            if key in binding:
                implied.add(binding[key]["producerTask"])
    out = []
    for dep in task.get("dependentTasks", []):
        if dep in implied or (in_finally and ctx.kind_of(dep, frame.tasks.get(dep, {})) == "exit"):
            continue
        if (frame.comp_name, dep) in ctx.ids:
            out.append(ctx.id_of(frame, dep))
    return sorted(set(out))


def _branches(ctx: Importer, node: Node) -> list[dict]:
    inner = node.inner
    cels = [sub_task["triggerPolicy"].get("condition", "") for _, _, sub_task, _ in node.branches]
    own = branch_conditions(cels)
    if own is None:
        ctx.problems.add(node.frame.path + ("dag", "tasks", node.key),
                         "condition branches whose conditions are not KFP's `!(c1) && c2` form")
        return []
    outputs = inner.comp.get("dag", {}).get("outputs", {}) or {}
    out = []
    for i, ((_, sub_key, sub_task, children), cel) in enumerate(zip(node.branches, own, strict=True)):
        branch: dict = {}
        if cel is None:
            branch["else"] = None
        else:
            expr = condition(ctx, inner, sub_task, cel, inner.path + ("dag", "tasks", sub_key, "triggerPolicy"))
            branch["if" if i == 0 else "elif"] = f"${{{{ {expr} }}}}"
        branch["steps"] = steps_of(ctx, children)
        declared = {}
        for key, spec in sorted({**(outputs.get("parameters") or {}), **(outputs.get("artifacts") or {})}.items()):
            selectors = spec.get("valueFromOneof", {}).get("parameterSelectors") or spec.get("artifactSelectors") or []
            for sel in selectors:
                if sel.get("producerSubtask") == sub_key:
                    inner_key = sel.get("outputParameterKey") or sel.get("outputArtifactKey")
                    value = output(ctx, inner, sub_key, inner_key, inner.path + ("dag", "outputs", key))
                    if isinstance(value, Expr):
                        declared[ctx.branch_output_name(node.key, key)] = wrap(value)
        if declared:
            branch["outputs"] = declared
        out.append(branch)
    return out
