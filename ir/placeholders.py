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
