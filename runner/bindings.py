"""A task's inputs from its bindings, and a DAG's outputs from its tasks' results.

Everything a KFP backend resolves before a task starts: constants, the
enclosing DAG's inputs, sibling tasks' outputs, a final status, a field
selected from a struct, and placeholders inside constants
(`"gs://{{$.inputs.parameters['bucket']}}/x"`). After a DAG ends, its
outputs are picked from the tasks that ran (a OneOf takes the branch that
ran).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from kfyaml.ir.placeholders import INPUT_PARAMETER, RUNTIME_PATTERN
from kfyaml.ir.values import selected_field, text

from .records import DONE_OK, Result, RunError


def task_inputs(task: dict, inputs: dict, results: dict[str, Result], run_name: str,
                runtime: dict[str, str] | None = None) -> dict:
    """The task's parameter values and artifacts; `runtime` fills in KFP's run-time placeholders
    (`{{$.pipeline_job_name}}`, `{{$.pipeline_task_uuid}}`, ...) found in constants."""
    params, artifacts = {}, {}
    for name, binding in task.get("inputs", {}).get("parameters", {}).items():
        source = binding.get("componentInputParameter")
        if source is not None and source not in inputs["parameters"]:
            continue  # an optional param the run left unset: the input is absent, its default (if any) applies
        params[name] = value(binding, inputs, results, run_name)
    for name, binding in task.get("inputs", {}).get("artifacts", {}).items():
        source = binding.get("componentInputArtifact")
        if source is not None and source not in inputs["artifacts"]:
            continue  # an optional artifact the run (or the outer pipeline) left unset: the input is absent
        artifacts[name] = _artifacts(binding, inputs, results)
    for name, item in params.items():
        params[name] = _filled(item, params, runtime or {}, name, nested=False)
    return {"parameters": params, "artifacts": artifacts}


def _filled(item: Any, params: dict, runtime: dict[str, str], name: str, nested: bool) -> Any:
    """A constant with its placeholders filled in, at any depth of a list or mapping (KFP's form
    for a list or dict holding values: `["{{$.inputs.parameters['pipelinechannel--a--acc']}}", 0.5]`).

    As on KFP, each value is written in as its text: inside a list or mapping, a float output
    arrives as the string "0.91". KFP's launcher writes that text into the JSON of the list as it
    is, so a value holding a quote, a backslash or a line break breaks the list on a cluster; here
    it is an error that says so, rather than a run that passes locally and fails there.
    """
    if isinstance(item, dict):
        return {key: _filled(value, params, runtime, name, True) for key, value in item.items()}
    if isinstance(item, list):
        return [_filled(value, params, runtime, name, True) for value in item]
    if not isinstance(item, str):
        return item
    if runtime and RUNTIME_PATTERN.search(item):
        item = RUNTIME_PATTERN.sub(lambda m: runtime[m.group(0)], item)
    if not INPUT_PARAMETER.search(item):
        return item

    def value(match) -> str:
        shown = text(params[match.group(1)])
        if nested and _BREAKS_JSON.search(shown):
            raise RunError(f"input {name!r}: the value {shown[:60]!r} holds a quote, a backslash or a line break; "
                           "KFP writes each value inside a list or mapping into its JSON as it is, so on a cluster "
                           "this list would not parse. Pass the value as an input of its own")
        return shown

    return INPUT_PARAMETER.sub(value, item)


_BREAKS_JSON = re.compile(r'["\\\x00-\x1f]')


def value(binding: dict, inputs: dict, results: dict[str, Result], run_name: str) -> Any:
    if "runtimeValue" in binding:
        found = copy.deepcopy(binding["runtimeValue"].get("constant"))
    elif "componentInputParameter" in binding:
        name = binding["componentInputParameter"]
        if name not in inputs["parameters"]:
            raise RunError(f"no value for {name!r}")
        found = inputs["parameters"][name]
    elif "taskOutputParameter" in binding:
        ref = binding["taskOutputParameter"]
        found = _output(results, ref["producerTask"], "parameters", ref["outputParameterKey"])
    elif "taskFinalStatus" in binding:
        producer = binding["taskFinalStatus"]["producerTask"]
        state = results[producer].state
        found = {"state": "SUCCEEDED" if state in DONE_OK else "FAILED", "pipelineJobResourceName": run_name,
                 "pipelineTaskName": producer,
                 "error": {"code": 0 if state in DONE_OK else 1, "message": results[producer].error or ""}}
    else:
        raise RunError(f"unsupported input binding {binding}")
    selector = binding.get("parameterExpressionSelector")
    if selector:
        field = selected_field(selector)
        if field is None:
            raise RunError(f"unsupported parameterExpressionSelector {selector}")
        found = (json.loads(found) if isinstance(found, str) else found)[field]
    return found


def _artifacts(binding: dict, inputs: dict, results: dict[str, Result]) -> list[dict]:
    if "componentInputArtifact" in binding:
        return inputs["artifacts"][binding["componentInputArtifact"]]
    ref = binding["taskOutputArtifact"]
    return _output(results, ref["producerTask"], "artifacts", ref["outputArtifactKey"])


def _output(results: dict[str, Result], producer: str, kind: str, key: str):
    result = results.get(producer)
    if result is None or key not in result.outputs[kind]:
        raise RunError(f"{producer!r} produced no {key!r}")
    return result.outputs[kind][key]


def dag_outputs(component: dict, results: dict[str, Result]) -> dict:
    outputs = {"parameters": {}, "artifacts": {}}
    specs = component["dag"].get("outputs", {})
    for key, spec in specs.get("parameters", {}).items():
        selectors = ([spec["valueFromParameter"]] if "valueFromParameter" in spec
                     else spec.get("valueFromOneof", {}).get("parameterSelectors", []))
        for s in selectors:  # a OneOf takes the branch that ran
            result = results.get(s["producerSubtask"])
            if result is not None and result.state in DONE_OK and s["outputParameterKey"] in result.outputs["parameters"]:
                outputs["parameters"][key] = result.outputs["parameters"][s["outputParameterKey"]]
                break
    for key, spec in specs.get("artifacts", {}).items():
        for s in spec.get("artifactSelectors", []):
            result = results.get(s["producerSubtask"])
            if result is not None and result.state in DONE_OK and s["outputArtifactKey"] in result.outputs["artifacts"]:
                outputs["artifacts"][key] = result.outputs["artifacts"][s["outputArtifactKey"]]
                break
    return outputs
