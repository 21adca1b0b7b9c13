"""Every id the import writes: steps, groups, branches and branch outputs.

A step is named as the person named it, as far as the IR or the Python
shows it: a display name that is a valid id (`set_display_name`), else the
variable its task is assigned to where KFP had to number repeated uses of
one component (`announce-2`; only with `--source`, see python_source),
else KFP's task name. What KFP generates for its own wrappers is no one's
name: `condition-branches-1` becomes what its branches run first
(`deploy_or_hold`), unless the IR's task name was given by a person (kfyaml
writes a `branches:` step's id there). Ids are given once, here, before any
step is written, because `needs:` and `steps.<id>` must agree on them.
"""

from __future__ import annotations

import re

from .context import Frame, Importer
from .python_source import PipelineSource
from .structure import Node, walk

_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_VAR = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # a variable that is a valid step id once lowercased
_GENERATED = re.compile(r"^(condition-branches|condition|for-loop|exit-handler)-\d+$")  # KFP's own wrapper names
_NUMBERED = re.compile(r"^(.*)-(\d+)$")
_LONGEST = 40  # a branches id made of its branches' first steps, at most this long


def name_steps(ctx: Importer, nodes: list[Node]) -> None:
    every = list(walk(nodes))
    leaves = [node for node in every if node.step_like]
    given = _given_names(ctx, [node.leaf[1] for node in leaves])
    for node in leaves:
        _, key, task = node.leaf
        shown = task.get("taskInfo", {}).get("name", key)
        var = given.get(key)
        if shown != key and _free(ctx, shown):
            node.id = ctx.new_id(shown.replace("-", "_"))
        elif var is not None and var not in ctx.used_ids:
            node.id = ctx.new_id(var)
            node.display_name = shown if shown != key else None
        elif _free(ctx, shown):
            node.id = ctx.new_id(shown.replace("-", "_"))
        else:
            node.id = ctx.new_id(key.replace("-", "_"))
            node.display_name = shown
    for node in reversed(every):  # inner groups first: a branches id is made of the ids inside it
        if not node.step_like:
            shown = node.task.get("taskInfo", {}).get("name", node.key)
            if not _GENERATED.match(shown) and _free(ctx, shown):
                node.id = ctx.new_id(shown.replace("-", "_"))
            elif node.kind == "branches":
                node.id = ctx.new_id(_branches_id(node))
            else:
                node.id = ctx.new_id(node.key.replace("-", "_"))
    for node in every:
        for frame, key, _ in filter(None, (node.leaf, node.loop, node.cond)):
            ctx.ids[(frame.comp_name, key)] = node.id
        ctx.ids[(node.frame.comp_name, node.key)] = node.id
    for node in every:
        if node.kind == "branches":
            _name_branch_outputs(ctx, node, given)


def _free(ctx: Importer, name: str) -> bool:
    """A task name that compiles back to itself as an id not yet taken (`train-model` is `train_model`)."""
    return bool(_NAME.match(name)) and name.replace("-", "_") not in ctx.used_ids


def _branches_id(node: Node) -> str:
    """`deploy_or_hold`: the first step of each branch, which says what is being chosen."""
    firsts = [children[0].id for *_, children in node.branches if children]
    joined = "_or_".join(firsts)
    if firsts and len(firsts) <= 3 and len(joined) <= _LONGEST:
        return joined
    return f"{firsts[0]}_branches" if firsts else node.key.replace("-", "_")


def _given_names(ctx: Importer, keys: list[str]) -> dict[str, str]:
    """Task key -> the variable it was assigned to, for components used more than once, where the Python
    shows the order KFP numbered them in; each component it cannot place gets a note saying why."""
    numbered = _numbered(keys)
    source: PipelineSource | None = ctx.source_pipeline()
    if source is None:
        if numbered and ctx.source is None:
            shown = ", ".join(k.replace("-", "_") for ks in numbered.values() for k in ks[1:])
            ctx.out.notes.append(f"{ctx.file}: {shown}: KFP numbers repeated uses of a component; `--source "
                                 "PIPELINE.py` names them after the variables that hold their tasks")
        return {}
    calls_by_base: dict[str, list] = {}
    for call in source.calls:
        calls_by_base.setdefault(call.base, []).append(call)
    out: dict[str, str] = {}
    for base, ordered in sorted(_by_base(keys).items()):
        calls = calls_by_base.get(base, [])
        where = f"{ctx.source.file}:{calls[0].line}" if calls else ctx.source.file
        if len(calls) != len(ordered):
            if base in numbered:
                ctx.out.notes.append(f"{ctx.file}: kept KFP's names for `{base}` ({', '.join(ordered)}): "
                                     f"{source.function}() in {where} calls it {len(calls)} time(s), the IR has "
                                     f"{len(ordered)} task(s)")
            continue
        unsure = next((c for c in calls if not c.certain), None)
        if unsure is not None:
            if base in numbered:
                ctx.out.notes.append(f"{ctx.file}: kept KFP's names for `{base}` ({', '.join(ordered)}): the call at "
                                     f"{ctx.source.file}:{unsure.line} is inside a loop, `if`, `try` or function, so "
                                     "the order KFP numbered them in is not certain")
            continue
        for key, call in zip(ordered, calls, strict=True):
            if call.var and _VAR.match(call.var):
                out[key] = call.var.lower().strip("_")
    ctx.task_vars.update(out)
    return {key: var for key, var in out.items() if _base_of(key, keys) in numbered}


def _by_base(keys: list[str]) -> dict[str, list[str]]:
    """Task keys by the component name KFP numbered them from, in the order it created them."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for key in keys:
        base = _base_of(key, keys)
        match = _NUMBERED.match(key)
        index = int(match.group(2)) if base != key and match else 1
        groups.setdefault(base, []).append((index, key))
    return {base: [key for _, key in sorted(items)] for base, items in groups.items()}


def _numbered(keys: list[str]) -> dict[str, list[str]]:
    return {base: ks for base, ks in _by_base(keys).items() if len(ks) > 1}


def _base_of(key: str, keys: list[str]) -> str:
    """`announce` for `announce-2` when the IR also has `announce` (KFP's second use of it); `step-2` alone
    is a component's own name."""
    match = _NUMBERED.match(key)
    return match.group(1) if match and match.group(1) in keys else key


def _name_branch_outputs(ctx: Importer, node: Node, given: dict[str, str]) -> None:
    """Each `dsl.OneOf` output by the variable the Python assigned it to, else by the output name every
    branch gives it (`model`), else KFP's (`oneof_1`)."""
    outputs = node.inner.comp.get("dag", {}).get("outputs", {}) or {}
    oneofs = ctx.source_pipeline().oneofs if ctx.source_pipeline() else ()
    taken: set[str] = set()
    for key, spec in sorted({**(outputs.get("parameters") or {}), **(outputs.get("artifacts") or {})}.items()):
        selectors = spec.get("valueFromOneof", {}).get("parameterSelectors") or spec.get("artifactSelectors") or []
        sources = [src for sel in selectors for src in _leaf_sources(ctx, node.inner, sel.get("producerSubtask"),
                                                                     sel.get("outputParameterKey") or sel.get("outputArtifactKey"))]
        producers = frozenset(ctx.task_vars.get(leaf, "") for leaf, _ in sources)
        names = {out for _, out in sources}
        chosen = next((o.var for o in oneofs if o.producers == producers and _VAR.match(o.var)), None)
        if chosen is None and len(names) == 1 and next(iter(names)) != "Output":
            chosen = next(iter(names))
        if chosen is not None and chosen not in taken:
            taken.add(chosen)
            ctx.branch_outputs[(node.key, key)] = chosen


def _leaf_sources(ctx: Importer, frame: Frame, producer: str | None, key: str | None) -> list[tuple[str, str]]:
    """The (step task, output) pairs a DAG output comes from, through the DAGs around them."""
    task = frame.tasks.get(producer or "")
    if task is None or key is None:
        return []
    if "dag" not in ctx.component(task):
        return [(producer, key)]
    inner = ctx.frames.get(task["componentRef"]["name"])
    if inner is None:
        return []
    spec = inner.comp["dag"].get("outputs", {})
    spec = (spec.get("parameters") or {}).get(key) or (spec.get("artifacts") or {}).get(key) or {}
    selectors = ([spec["valueFromParameter"]] if "valueFromParameter" in spec else
                 spec.get("valueFromOneof", {}).get("parameterSelectors") or spec.get("artifactSelectors") or [])
    return [src for sel in selectors for src in _leaf_sources(ctx, inner, sel.get("producerSubtask"),
                                                              sel.get("outputParameterKey") or sel.get("outputArtifactKey"))]
