"""Where each step's task goes: the tree of DAG scopes KFP's backend needs.

A leaf step sits in `for-loop-N` and/or `condition-N` wrappers. A group is
its own DAG: with only `for_each:` that DAG is the loop, with `if:` its
task carries the condition (inside the loop when it has both, so the
condition is evaluated per item). `branches:` become a
`condition-branches-N` DAG with one `condition-N` per branch.
"""

from __future__ import annotations

from kfyaml.ir.names import wrapper

from ..model import Step
from .state import Lowering, Scope, task_name


def new_scope(lw: Lowering, kind: str, parent: Scope, base: str | None = None) -> Scope:
    """A DAG inside `parent`, with its task there; named like KFP's (`for-loop-2`) unless `base` is given."""
    if base is None:
        while True:
            lw.counter += 1
            base = wrapper(kind, lw.counter)
            if base not in lw.taken:
                break
    lw.taken.add(base)
    lw.dag_names.add(base)  # `comp-<base>` will be this DAG's component
    scope = Scope(base, kind, parent, base)
    parent.tasks[base] = {"componentRef": {"name": f"comp-{base}"}, "taskInfo": {"name": base}}
    return scope


def place(lw: Lowering, step: Step, scope: Scope) -> None:
    """Create the scopes and task for one step (and its children) inside `scope`."""
    name = task_name(step.id)
    current, outer_task = scope, None
    is_group = step.kind == "group"
    if step.loop is not None:
        loop = new_scope(lw, "loop", current, base=name if is_group and step.condition is None else None)
        lw.loop_scope[step] = loop
        outer_task, current = loop.task, loop
    if step.kind == "branches":
        _place_branches(lw, step, scope, current, outer_task)
        return
    if is_group:
        if step.loop is not None and step.condition is None:
            group = current
        elif step.finally_children:  # the group's DAG is its exit handler, its `finally:` steps beside it
            group = new_scope(lw, "exit", current)
            lw.exit_of[step] = group
            outer_task = outer_task or group.task
        else:
            group = new_scope(lw, "group", current, base=name)
            outer_task = outer_task or group.task
        if step.condition is not None:
            lw.condition_of[step] = group
        if step.display_name or group.task != name:  # an exit handler's DAG: KFP's UI shows the step's name
            group.parent.tasks[group.task]["taskInfo"]["name"] = step.display_name or name
        lw.leaf[step] = (group, group.task)
        for child in step.children:
            place(lw, child, group)
        for child in step.finally_children:
            place(lw, child, scope)
    else:
        if step.condition is not None:
            cond = new_scope(lw, "condition", current)
            lw.condition_of[step] = cond
            outer_task, current = outer_task or cond.task, cond
        current.tasks[name] = {"taskInfo": {"name": step.display_name or name}}
        outer_task = outer_task or name
        lw.leaf[step] = (current, name)
    lw.outer[step] = (scope, outer_task)


def _place_branches(lw: Lowering, step: Step, scope: Scope, current: Scope, outer_task: str | None) -> None:
    branches = new_scope(lw, "branches", current)
    current.tasks[branches.task]["taskInfo"]["name"] = step.display_name or task_name(step.id)  # what KFP's UI shows
    lw.branches_scope[step] = branches
    for branch in step.children:
        cond = new_scope(lw, "condition", branches)
        lw.condition_of[branch] = cond
        lw.leaf[branch] = (cond, cond.task)
        for child in branch.children:
            place(lw, child, cond)
    lw.leaf[step] = (current, branches.task)
    lw.outer[step] = (scope, outer_task or branches.task)
