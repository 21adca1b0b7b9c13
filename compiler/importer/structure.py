"""The shape of the pipeline: KFP's DAGs of groups back into kfyaml steps.

KFP wraps every `dsl.If` and `dsl.ParallelFor` in a DAG of its own. A DAG
that holds one step becomes that step's own `if:` or `for_each:` (kfyaml
lowers those keys to the same DAGs); a DAG of several becomes a group.
Condition branches become `branches:`, exit handlers `finally:`, and a DAG
component that is none of these is a nested pipeline, a file of its own.
"""

from __future__ import annotations

import dataclasses

from .context import Frame, Importer


@dataclasses.dataclass(eq=False)
class Node:
    kind: str                    # leaf, nested, group, branches, exit
    frame: Frame                 # the DAG this node stands in
    key: str                     # its outermost task there
    task: dict
    leaf: tuple | None = None    # (frame, key, task) of the step itself (leaf, nested)
    loop: tuple | None = None    # (frame, key, task) of the loop around it, collapsed onto it
    cond: tuple | None = None    # (frame, key, task) of the condition around it, collapsed onto it
    inner: Frame | None = None   # a group's own DAG
    children: list[Node] = dataclasses.field(default_factory=list)
    finally_: list[Node] = dataclasses.field(default_factory=list)
    branches: list[tuple[Frame, str, dict, list[Node]]] = dataclasses.field(default_factory=list)
    id: str = ""
    display_name: str | None = None

    @property
    def step_like(self) -> bool:
        return self.kind in ("leaf", "nested")


def build(ctx: Importer, frame: Frame) -> list[Node]:
    """The nodes of one DAG, upstream first, each exit handler with its `finally:` steps."""
    ctx.frames[frame.comp_name] = frame
    tasks = frame.tasks
    exits = {key: [k for k, t in sorted(tasks.items()) if _exit_task_of(t, tasks, ctx) == key]
             for key, task in tasks.items() if ctx.kind_of(key, task) == "exit"}
    in_finally = {k for ks in exits.values() for k in ks}
    nodes = []
    for key in _upstream_first(tasks):
        if key in in_finally:
            continue
        node = _node(ctx, frame, key, tasks[key])
        if node.kind == "exit":
            node.finally_ = [_node(ctx, frame, k, tasks[k]) for k in exits[key]]
        nodes.append(node)
    return nodes


def walk(nodes: list[Node]):
    """Every node, each before the nodes inside it."""
    for node in nodes:
        yield node
        yield from walk(node.children)
        yield from walk(node.finally_)
        for *_, children in node.branches:
            yield from walk(children)


def _node(ctx: Importer, frame: Frame, key: str, task: dict) -> Node:
    kind = ctx.kind_of(key, task)
    if kind in ("leaf", "nested"):
        return Node(kind, frame, key, task, leaf=(frame, key, task))
    name = task["componentRef"]["name"]
    if kind == "loop":
        var = "item" if frame.loop_depth == 0 else f"item_{frame.loop_depth + 1}"
        inner = Frame(name, ctx.components[name], task, key, frame, var, frame.loop_depth + 1)
        children = build(ctx, inner)
        if len(children) == 1 and children[0].step_like and children[0].loop is None:
            return dataclasses.replace(children[0], frame=frame, key=key, task=task, loop=(frame, key, task))
        return Node("group", frame, key, task, loop=(frame, key, task), inner=inner, children=children)
    inner = Frame(name, ctx.components[name], task, key, frame, None, frame.loop_depth)
    children = build(ctx, inner) if kind != "branches" else []
    if kind == "group":
        return Node("group", frame, key, task, inner=inner, children=children)
    if kind == "condition":
        if len(children) == 1 and children[0].step_like and children[0].loop is None and children[0].cond is None:
            return dataclasses.replace(children[0], frame=frame, key=key, task=task, cond=(frame, key, task))
        return Node("group", frame, key, task, cond=(frame, key, task), inner=inner, children=children)
    if kind == "branches":
        ctx.frames[name] = inner
        branches = []
        for sub_key in _upstream_first(inner.tasks):
            sub = inner.tasks[sub_key]
            sub_name = sub["componentRef"]["name"]
            sub_frame = Frame(sub_name, ctx.components[sub_name], sub, sub_key, inner, None, frame.loop_depth)
            branches.append((sub_frame, sub_key, sub, build(ctx, sub_frame)))
        return Node("branches", frame, key, task, inner=inner, branches=branches)
    return Node("exit", frame, key, task, inner=inner, children=children)


def _exit_task_of(task: dict, tasks: dict, ctx: Importer) -> str | None:
    """The exit handler a task follows whatever happened (KFP's `ExitHandler(exit_task)`), if any."""
    if task.get("triggerPolicy", {}).get("strategy") != "ALL_UPSTREAM_TASKS_COMPLETED":
        return None
    for dep in task.get("dependentTasks", []):
        if dep in tasks and ctx.kind_of(dep, tasks[dep]) == "exit":
            return dep
    return None


def _upstream_first(tasks: dict) -> list[str]:
    """Task keys in dependency order, ties by name: the order a reader follows."""
    waiting = {k: {d for d in t.get("dependentTasks", []) if d in tasks and d != k} for k, t in tasks.items()}
    order: list[str] = []
    while waiting:
        ready = sorted(k for k, deps in waiting.items() if not deps) or sorted(waiting)[:1]  # a cycle: take one
        for k in ready:
            del waiting[k]
            order.append(k)
        for deps in waiting.values():
            deps.difference_update(ready)
    return order
