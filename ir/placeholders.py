"""KFP's `{{$...}}` placeholders: built by the compiler, parsed by the runner.

A component's command reads its inputs and names its output files through
these strings; the backend (or `kfyaml run`) substitutes them when the task
starts. One pattern here both writes and recognises every form.
"""

from __future__ import annotations

import re

EXECUTOR_INPUT = "{{$}}"  # the whole executor input as JSON (Python steps)


def input_parameter(name: str) -> str:
    return "{{$.inputs.parameters['%s']}}" % name


def output_parameter_file(name: str) -> str:
    return "{{$.outputs.parameters['%s'].output_file}}" % name


def input_artifact(name: str, attr: str = "path") -> str:
    return "{{$.inputs.artifacts['%s'].%s}}" % (name, attr)


def output_artifact(name: str, attr: str = "path") -> str:
    return "{{$.outputs.artifacts['%s'].%s}}" % (name, attr)


# Groups: side (inputs|outputs), kind (parameters|artifacts), name, attribute (path|uri|output_file);
# all None for `{{$}}`.
PATTERN = re.compile(r"\{\{\$(?:\.(inputs|outputs)\.(parameters|artifacts)\['([^']+)'\](?:\.(path|uri|output_file))?)?\}\}")
# An input parameter inside a task input's constant ("gs://{{$.inputs.parameters['bucket']}}/x").
INPUT_PARAMETER = re.compile(r"\{\{\$\.inputs\.parameters\['([^']+)'\]\}\}")


# Values the backend knows only when the run starts (KFP's dsl.PIPELINE_*_PLACEHOLDERs), by the name
# kfyaml gives them in `${{ }}`. Each is text.
RUNTIME = {
    "pipeline.job_name": "{{$.pipeline_job_name}}",
    "pipeline.job_id": "{{$.pipeline_job_uuid}}",
    "pipeline.job_resource_name": "{{$.pipeline_job_resource_name}}",
    "pipeline.create_time": "{{$.pipeline_job_create_time_utc}}",
    "pipeline.schedule_time": "{{$.pipeline_job_schedule_time_utc}}",
    "pipeline.workspace_path": "{{$.workspace_path}}",  # the run's workspace (`pipeline_config: {workspace:}`)
    "task.name": "{{$.pipeline_task_name}}",
    "task.id": "{{$.pipeline_task_uuid}}",
}
RUNTIME_PATTERN = re.compile("|".join(re.escape(p) for p in RUNTIME.values()))
