"""Where a task's input comes from, as the kfyaml expression that says it.

KFP routes every value through `pipelinechannel--` inputs of the groups
around a task; kfyaml names the source directly (`params.x`,
`steps.train.outputs.model`, `item.size`, `pipeline.status`). Each binding
is traced up through the groups to its source, and each output down
through the groups to the step that makes it.
"""

from __future__ import annotations

import dataclasses
import json
import re

from kfyaml.ir import placeholders as ph

from .context import Frame, Importer

_SELECTOR = re.compile(r'^parseJson\(string_value\)\["([^"\\]*)"\]$')
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RUNTIME_NAME = {placeholder: name for name, placeholder in ph.RUNTIME.items()}
_TEMPLATE = re.compile(ph.INPUT_PARAMETER.pattern + "|" + ph.RUNTIME_PATTERN.pattern)  # what a constant may hold


@dataclasses.dataclass(frozen=True)
class Expr:
    text: str  # without `${{ }}`


@dataclasses.dataclass(frozen=True)
class Lit:
    value: object


def wrap(value) -> object:
    """A `with:`-style value: a literal as itself, an expression as `${{ ... }}`."""
    return f"${{{{ {value.text} }}}}" if isinstance(value, Expr) else value.value


def dag_input(ctx: Importer, frame: Frame, name: str, path: tuple):
    """An input of the DAG `frame`: a param at a file's root, a loop item, or what the group's task binds."""
    if frame.task is None:
        return Expr(f"params.{name}")
    iterator = frame.iterator
    if iterator and iterator["itemInput"] == name:
        return Expr(frame.loop_var)
    binding = _task_binding(frame.task, name)
    if binding is None:
        ctx.problems.add(frame.path, f"the group's input `{name}` is bound to nothing")
        return Lit(None)
    return binding_value(ctx, frame.parent, binding, frame.task_path + ("inputs", name))


def task_input(ctx: Importer, frame: Frame, task: dict, name: str, path: tuple):
    binding = _task_binding(task, name)
    if binding is None:
        ctx.problems.add(path, f"the task reads its input `{name}`, which it does not bind")
        return Lit(None)
    return binding_value(ctx, frame, binding, path)


def binding_value(ctx: Importer, frame: Frame, binding: dict, path: tuple):
    """The value of one task-input binding in DAG `frame`."""
    if "parameterExpressionSelector" in binding:
        inner = binding_value(ctx, frame, {k: v for k, v in binding.items() if k != "parameterExpressionSelector"}, path)
        match = _SELECTOR.match(binding["parameterExpressionSelector"])
        if not isinstance(inner, Expr) or not match:
            ctx.problems.add(path + ("parameterExpressionSelector",),
                             f"the selector `{binding['parameterExpressionSelector']}` is not a field of a loop item")
            return inner
        field = match.group(1)
        return Expr(f"{inner.text}.{field}" if _IDENT.match(field) else f"{inner.text}[{json.dumps(field)}]")
    if "runtimeValue" in binding:
        value = binding["runtimeValue"].get("constant")
        return Lit(value)
    for key in ("componentInputParameter", "componentInputArtifact"):
        if key in binding:
            return dag_input(ctx, frame, binding[key], path)
    if "taskFinalStatus" in binding:
        return Expr("pipeline.status")
    for key, field in (("taskOutputParameter", "outputParameterKey"), ("taskOutputArtifact", "outputArtifactKey")):
        if key in binding:
            return output(ctx, frame, binding[key]["producerTask"], binding[key][field], path + (key,))
    ctx.problems.add(path, f"a binding kfyaml does not know: {json.dumps(binding, sort_keys=True)}")
    return Lit(None)


def output(ctx: Importer, frame: Frame, producer: str, key: str, path: tuple):
    """Output `key` of task `producer` in DAG `frame`, named at the step that makes it."""
    task = frame.tasks.get(producer)
    if task is None:
        ctx.problems.add(path, f"the producer task `{producer}` is not in this DAG")
        return Lit(None)
    kind = ctx.kind_of(producer, task)
    if kind in ("leaf", "nested"):
        return Expr(f"steps.{ctx.id_of(frame, producer)}.outputs.{key}")
    if kind == "branches":
        return Expr(f"steps.{ctx.id_of(frame, producer)}.outputs.{ctx.branch_output_name(producer, key)}")
    inner = ctx.frame_of(task)
    selector = inner.comp["dag"].get("outputs", {})
    selector = selector.get("parameters", {}).get(key) or selector.get("artifacts", {}).get(key)
    if selector is None:
        ctx.problems.add(path, f"the group `{producer}` has no output `{key}`")
        return Lit(None)
    if "valueFromParameter" in selector:
        sel = selector["valueFromParameter"]
        return output(ctx, inner, sel["producerSubtask"], sel["outputParameterKey"], path)
    if len(selector.get("artifactSelectors", [])) == 1:
        sel = selector["artifactSelectors"][0]
        return output(ctx, inner, sel["producerSubtask"], sel["outputArtifactKey"], path)
    ctx.problems.add(path, f"the group `{producer}` chooses its output `{key}` among several (OneOf) outside `dsl.If` branches")
    return Lit(None)


def template(ctx: Importer, frame: Frame, task: dict, text: str, path: tuple) -> object:
    """A constant with KFP placeholders in it, as kfyaml text with `${{ }}` in it."""
    if "${{" in text:
        ctx.problems.add(path, "the text holds `${{`, which kfyaml would read as an expression")
    parts = []
    pos = 0
    for match in _TEMPLATE.finditer(text):
        parts.append(text[pos:match.start()])
        pos = match.end()
        if match.group(1) is not None:
            value = task_input(ctx, frame, task, match.group(1), path)
            parts.append(f"${{{{ {value.text} }}}}" if isinstance(value, Expr) else _as_text(value.value))
        else:
            parts.append(f"${{{{ {_RUNTIME_NAME[match.group(0)]} }}}}")
    parts.append(text[pos:])
    return "".join(parts)


def has_placeholder(value) -> bool:
    """Whether a constant holds KFP placeholders: in its text, or anywhere in a list or dict (KFP's form
    for a list or dict argument holding task outputs or params)."""
    if isinstance(value, list):
        return any(has_placeholder(item) for item in value)
    if isinstance(value, dict):
        return any(has_placeholder(item) for item in value.values())
    return isinstance(value, str) and bool(ph.INPUT_PARAMETER.search(value) or ph.RUNTIME_PATTERN.search(value))


def constant(ctx: Importer, frame: Frame, task: dict, value, path: tuple) -> object:
    """A constant as kfyaml writes it: each string holding placeholders, at any depth, as text with `${{ }}`."""
    if isinstance(value, list):
        return [constant(ctx, frame, task, item, path + (i,)) for i, item in enumerate(value)]
    if isinstance(value, dict):
        for key in value:
            if has_placeholder(key):
                ctx.problems.add(path + (key,), "a key holds a placeholder; kfyaml fills in values, never keys")
        return {key: constant(ctx, frame, task, item, path + (key,)) for key, item in value.items()}
    if isinstance(value, str) and has_placeholder(value):
        return template(ctx, frame, task, value, path)
    if isinstance(value, str) and "${{" in value:
        ctx.problems.add(path, "the text holds `${{`, which kfyaml would read as an expression")
    return value


def placeholder_source(ctx: Importer, frame: Frame, task: dict, text: str, path: tuple):
    """A field that is exactly one input placeholder (`{{$.inputs.parameters['cpu_limit']}}`):
    what that input holds, through the constant KFP puts in between."""
    match = ph.INPUT_PARAMETER.fullmatch(text)
    if not match:
        return None
    value = task_input(ctx, frame, task, match.group(1), path)
    if isinstance(value, Lit) and isinstance(value.value, str) and ph.INPUT_PARAMETER.fullmatch(value.value):
        return placeholder_source(ctx, frame, task, value.value, path)
    return value


def _as_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _task_binding(task: dict, name: str) -> dict | None:
    inputs = task.get("inputs", {})
    return inputs.get("parameters", {}).get(name) or inputs.get("artifacts", {}).get(name)
