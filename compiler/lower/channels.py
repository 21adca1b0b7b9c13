"""Values across scopes: how a task in one DAG reads a param, a step output or a loop item.

A value crosses scope boundaries the way KFP's own compiler plumbs it: down
through `pipelinechannel--*` inputs of each DAG on the way, up through DAG
outputs (a list when it leaves a loop: fan-in). `bind` does both, from
whichever scope a task sits in, so every consumer is lowered the same way;
`connect` is the whole sequence for one task input.
"""

from __future__ import annotations

from kfyaml.ir.values import field_selector

from ..model import Ref, Type
from .state import Lowering, Scope, Source


def source_of(lw: Lowering, ref: Ref) -> Source | None:
    info = lw.refs.info(ref)
    if info.kind == "param" and lw.imports(info.param):
        return Source("output", (lw.importers[info.param.name], "artifact"), info.type)
    if info.kind == "param":
        return Source("param", info.param.name, info.param.type)
    if info.kind == "output":
        return Source("output", (info.producer, info.output.name), info.output.type)
    if info.kind == "loop":
        return Source("loop", info.loop_step, info.type, info.field)
    return None  # pipeline.status is bound directly


def channel(lw: Lowering, src: Source) -> str:
    """The input/output name a value travels under between scopes."""
    if src.kind == "param":
        name = f"pipelinechannel--{src.key}"
    elif src.kind == "output":
        # `<task>--<output>`, where KFP writes one dash: backends resolve channels through their
        # bindings, but kfp.local finds a condition's values by parsing this name, and
        # understands only `<task>-Output` and `<task>--<output>`.
        producer, output = src.key
        name = f"pipelinechannel--{lw.leaf[producer][1]}--{output}"
    else:
        name = lw.loop_scope[src.key].item_input
    return f"{name}-subvar-{src.field}" if src.field else name


def add_input(task: dict, name: str, binding: dict, artifact: bool) -> None:
    task.setdefault("inputs", {}).setdefault("artifacts" if artifact else "parameters", {})[name] = binding


def wait(task: dict, dep: str | None) -> None:
    """Record that `task` waits for the sibling task `dep` (its dependentTasks, set at assembly)."""
    if dep:
        task.setdefault("_deps", set()).add(dep)


def connect(lw: Lowering, scope: Scope, task: dict, src: Source, name: str | None = None,
            artifact: bool | None = None) -> str:
    """Give `task` (in `scope`) an input `name` (default: the channel's) that reads `src`; the input's name."""
    binding, dep = bind(lw, scope, src)
    name = name or channel(lw, src)
    add_input(task, name, binding, src.type.is_artifact if artifact is None else artifact)
    wait(task, dep)
    return name


def ensure_input(lw: Lowering, scope: Scope, src: Source) -> str:
    """Make `src` an input of DAG `scope`, bound by its task in the parent scope."""
    name = channel(lw, src)
    if name not in scope.inputs:
        scope.inputs[name] = src.type
        connect(lw, scope.parent, scope.parent.tasks[scope.task], src, name)
    return name


def _task_output(artifact: bool, key: str, task: str) -> dict:
    if artifact:
        return {"taskOutputArtifact": {"outputArtifactKey": key, "producerTask": task}}
    return {"taskOutputParameter": {"outputParameterKey": key, "producerTask": task}}


def bind(lw: Lowering, scope: Scope, src: Source) -> tuple[dict, str | None]:
    """The binding a task in `scope` uses to read `src`, and the sibling task it must wait for."""
    if src.field:
        binding, dep = bind(lw, scope, src.whole)
        return {**binding, "parameterExpressionSelector": field_selector(src.field)}, dep
    artifact = src.type.is_artifact
    if src.kind == "param":
        key = "componentInputArtifact" if artifact else "componentInputParameter"
        return {key: src.key if scope is lw.root else ensure_input(lw, scope, src)}, None
    if src.kind == "loop":
        loop = lw.loop_scope[src.key]
        key = "componentInputArtifact" if artifact else "componentInputParameter"
        return {key: loop.item_input if scope is loop else ensure_input(lw, scope, src)}, None
    producer, output = src.key
    pscope, ptask = lw.leaf[producer]
    if pscope is scope:
        return _task_output(artifact, output, ptask), ptask
    if scope in pscope.chain():
        child = child_toward(pscope, scope)
        return _task_output(artifact, expose(lw, child, src), child.task), child.task
    name = ensure_input(lw, scope, src)
    return {"componentInputArtifact" if artifact else "componentInputParameter": name}, None


def output_selector(t: Type, key: str, task: str) -> dict:
    """A DAG output taken from one of its tasks' outputs."""
    if t.is_artifact:
        return {"artifactSelectors": [{"outputArtifactKey": key, "producerSubtask": task}]}
    return {"valueFromParameter": {"outputParameterKey": key, "producerSubtask": task}}


def child_toward(inner: Scope, outer: Scope) -> Scope:
    """The scope directly inside `outer` on the way to `inner`."""
    chain = inner.chain()
    return chain[chain.index(outer) - 1]


def expose(lw: Lowering, scope: Scope, src: Source) -> str:
    """Make `src`, produced inside `scope`, an output of that DAG; a list if it is a loop."""
    name = channel(lw, src)
    if name in scope.outputs:
        return name
    producer, output = src.key
    pscope, ptask = lw.leaf[producer]
    if pscope is scope:
        inner_task, inner_key, inner_type = ptask, output, src.type
    else:
        child = child_toward(pscope, scope)
        inner_key = expose(lw, child, src)
        inner_task, inner_type = child.task, child.outputs[inner_key][0]
    t = Type("list", inner_type) if scope.kind == "loop" else inner_type
    scope.outputs[name] = (t, output_selector(t, inner_key, inner_task))
    return name
