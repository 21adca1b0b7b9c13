"""`if:` and `branches:` as KFP trigger conditions in CEL.

A condition's values become inputs of the condition's DAG; its CEL reads
them there (`cel`). Branch i runs when every earlier condition is false and
its own is true (`!(c1) && c2`), the `else:` branch when all are false;
branch outputs become the branches DAG's OneOf outputs.
"""

from __future__ import annotations

from collections.abc import Callable

from ..cel import CelLowering
from ..checks.references import refs_in
from ..model import Expr, Step
from .channels import ensure_input, expose, source_of
from .state import Lowering, Scope


def _cel(lw: Lowering, scope: Scope, exprs: list[Expr]) -> CelLowering:
    """A CEL writer whose names are inputs of `scope`, made for every name in `exprs`."""
    names = {id(ref): ensure_input(lw, scope, source_of(lw, ref)) for e in exprs for ref in refs_in(e)}
    return CelLowering(lambda r: names[id(r)], lw.refs.type_of)


def lower_condition(lw: Lowering, step: Step) -> None:
    scope = lw.condition_of[step]
    expr = step.condition.whole
    scope.parent.tasks[scope.task]["triggerPolicy"] = {"condition": _cel(lw, scope, [expr]).lower(expr)}


def lower_branches(lw: Lowering, route: Step, lower_step: Callable[[Lowering, Step], None]) -> None:
    previous: list[Expr] = []
    for branch in route.children:
        cond = lw.condition_of[branch]
        exprs = previous + ([branch.condition.whole] if branch.condition is not None else [])
        cel = _cel(lw, cond, exprs)
        parts = [f"!({cel.lower(e)})" for e in previous]
        if branch.condition is not None:
            parts.append(cel.lower(branch.condition.whole))
            previous.append(branch.condition.whole)
        cond.parent.tasks[cond.task]["triggerPolicy"] = {"condition": " && ".join(parts)}
        for child in branch.children:
            lower_step(lw, child)
    branches = lw.branches_scope[route]
    for name, templates in route.branch_outputs.items():
        selectors, t = [], None
        for branch, template in zip(route.children, templates, strict=False):
            cond = lw.condition_of[branch]
            key = expose(lw, cond, source_of(lw, template.whole))
            t = cond.outputs[key][0]
            selectors.append((cond.task, key))
        if t.is_artifact:
            selector = {"artifactSelectors": [{"outputArtifactKey": k, "producerSubtask": task} for task, k in selectors]}
        else:
            selector = {"valueFromOneof": {"parameterSelectors": [
                {"outputParameterKey": k, "producerSubtask": task} for task, k in selectors]}}
        branches.outputs[name] = (t, selector)
