"""One step's task: its inputs from `with:`, its component, caching, retries, `finally:`.

Each `with:` value becomes a task input: a constant, a binding to where the
value comes from (see `channels`), the pipeline's final status, or text with
values in it (each value a channel input, the text a constant holding their
placeholders, resolved by the backend when the task starts).
"""

from __future__ import annotations

from kfyaml.ir import values as ir_values
from kfyaml.ir.placeholders import input_parameter

from ..model import Const, Gathered, ListLit, Literal, Ref, Step, Template, gathers
from . import components, conditions, loops
from .channels import add_input, channel, connect, source_of, wait
from .constants import const_expr, constant
from .imports import import_dag
from .state import Lowering, Scope, task_name


def lower_step(lw: Lowering, step: Step) -> None:
    if step.kind == "branches":
        conditions.lower_branches(lw, step, lower_step)
        return
    scope, name = lw.leaf[step]
    if step.loop is not None:
        loops.lower_loop(lw, step)
    if step.condition is not None:
        conditions.lower_condition(lw, step)
    if step.kind == "group":
        for child in step.children + step.finally_children:
            lower_step(lw, child)
        return
    task = scope.tasks[name]
    component = step.component
    if component.dag is not None:
        task["componentRef"] = {"name": import_dag(lw, component, task_name(step.id))}
    status_inputs = set()
    for input_name, value in sorted(step.args.items()):
        if _bind_input(lw, scope, task, step, input_name, value):
            status_inputs.add(input_name)
    if step.in_finally:  # also a nested pipeline: it starts when everything else has ended
        task["triggerPolicy"] = {"strategy": "ALL_UPSTREAM_TASKS_COMPLETED"}
        wait(task, exit_handler(lw, step).task)
    elif step.ignore_upstream_failure:
        task["triggerPolicy"] = {"strategy": "ALL_UPSTREAM_TASKS_COMPLETED"}
    if component.dag is not None:
        return  # a nested DAG: its own steps carry their settings
    runtime = components.runtime_values(lw, step, task, scope)
    task["componentRef"] = {"name": components.component_for(lw, step, status_inputs, scope, runtime)}
    task["cachingOptions"] = ({"enableCache": True} if step.cache else {})
    if step.cache and step.cache_key:
        task["cachingOptions"]["cacheKey"] = step.cache_key
    if step.retry is not None and step.retry.max > 0:  # max: 0 turns inherited retries off
        r = step.retry
        task["retryPolicy"] = {"maxRetryCount": r.max, "backoffDuration": ir_values.duration(r.backoff_s),
                               "backoffFactor": r.factor, "backoffMaxDuration": ir_values.duration(r.max_backoff_s)}


def exit_handler(lw: Lowering, step: Step) -> Scope:
    """The exit handler a `finally:` step follows: its group's, or the pipeline's."""
    return lw.exit_of[step.parent] if step.parent is not None else lw.exit_scope


def _bind_input(lw: Lowering, scope: Scope, task: dict, step: Step, input_name: str, value) -> bool:
    """Set one `with:` input on the task; True when it is the pipeline's final status."""
    port = step.component.inputs[input_name]
    if gathers(value):
        built = _gathered(lw, scope, task, value.value if isinstance(value, Gathered) else value.whole)
        add_input(task, input_name, {"runtimeValue": {"constant": built}}, False)
        return False
    if isinstance(value, Literal):
        add_input(task, input_name, {"runtimeValue": {"constant": constant(value.value, port.type)}}, False)
        return False
    whole = value.whole
    if isinstance(whole, Ref):
        info = lw.refs.info(whole)
        if info is not None and info.kind == "status":
            add_input(task, input_name, {"taskFinalStatus": {"producerTask": exit_handler(lw, step).task}}, False)
            return True
        if info is not None and info.kind == "runtime":  # filled in by the backend when the task starts
            add_input(task, input_name, {"runtimeValue": {"constant": info.placeholder}}, False)
            return False
        connect(lw, scope, task, source_of(lw, whole), input_name, port.type.is_artifact)
        return False
    if whole is not None:
        add_input(task, input_name, {"runtimeValue": {"constant": const_expr(whole)}}, False)
        return False
    add_input(task, input_name, {"runtimeValue": {"constant": _text(lw, scope, task, value)}}, False)
    return False


def _gathered(lw: Lowering, scope: Scope, task: dict, node):
    """A list or mapping built when the task starts, as KFP builds one holding task outputs: each
    value a task input of its own (so the task waits for its producer), the constant holding its
    placeholder where the value stands."""
    if isinstance(node, dict):
        return {key: _gathered(lw, scope, task, item) for key, item in node.items()}
    if isinstance(node, (list, ListLit)):
        return [_gathered(lw, scope, task, item) for item in (node.items if isinstance(node, ListLit) else node)]
    if isinstance(node, Template):
        return _gathered(lw, scope, task, node.whole) if node.whole is not None else _text(lw, scope, task, node)
    if isinstance(node, Ref):
        info = lw.refs.info(node)
        if info.kind == "runtime":
            return info.placeholder
        src = source_of(lw, node)
        return input_parameter(connect(lw, scope, task, src, channel(lw, src), False))
    if isinstance(node, Const):
        return node.value
    return node  # a literal written in YAML


def _text(lw: Lowering, scope: Scope, task: dict, value: Template) -> str:
    """Text with values in it: each value a task input, the text its placeholders."""
    text = []
    for part in value.parts:
        if isinstance(part, str):
            text.append(part)
        elif isinstance(part, Ref) and lw.refs.info(part).kind == "runtime":
            text.append(lw.refs.info(part).placeholder)
        elif isinstance(part, Ref):
            src = source_of(lw, part)
            text.append(input_parameter(connect(lw, scope, task, src, channel(lw, src), False)))
        else:
            text.append(ir_values.text(const_expr(part)))
    return "".join(text)
