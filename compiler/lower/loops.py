"""`for_each:` and `matrix:` as a KFP `parameterIterator` (or `artifactIterator`) on the loop DAG's task.

A literal list is written into the IR (`items.raw`); a list from a param or
a step output is an input of the loop DAG that the iterator walks; a list of
artifacts (a loop's gathered outputs) is walked one artifact at a time. The
item input is typed from the references pass (a matrix's items are structs).
"""

from __future__ import annotations

import dataclasses
import json

from ..model import Literal, Step, Type
from .channels import connect, source_of
from .state import Lowering


def lower_loop(lw: Lowering, step: Step) -> None:
    loop = lw.loop_scope[step]
    parent = loop.parent
    task = parent.tasks[loop.task]
    items = step.loop.items
    if isinstance(items, Literal):
        loop.item_input = (f"pipelinechannel--loop-item-param-{loop.name.rsplit('-', 1)[-1]}"
                           if loop.name.startswith("for-loop-") else f"pipelinechannel--{loop.name}-loop-item")
        task["parameterIterator"] = {"itemInput": loop.item_input,
                                     "items": {"raw": json.dumps(items.value, sort_keys=True, separators=(", ", ": "))}}
    else:
        src = source_of(lw, items.whole)
        list_src = dataclasses.replace(src, type=src.type if src.type.name == "list" else Type("list"))
        # The list is an input of the loop DAG, bound in the parent; the iterator walks it.
        artifacts = list_src.type.is_artifact
        name = connect(lw, parent, task, list_src, artifact=artifacts)
        loop.inputs[name] = list_src.type
        loop.item_input = f"{name}-loop-item"
        if artifacts:  # KFP's artifactIterator: one artifact per iteration
            task["artifactIterator"] = {"itemInput": loop.item_input, "items": {"inputArtifact": name}}
        else:
            task["parameterIterator"] = {"itemInput": loop.item_input, "items": {"inputParameter": name}}
    item_type = lw.refs.item_type(step)
    loop.inputs[loop.item_input] = item_type if item_type.name != "any" else Type("string")
    if step.loop.max_parallel:
        task["iteratorPolicy"] = {"parallelismLimit": step.loop.max_parallel}
