"""The KFP executor contract: what a step is given and what it leaves behind.

A step receives its inputs through placeholders in its command
(`{{$.inputs.parameters['x']}}`, `{{$.inputs.artifacts['d'].path}}`, the
whole executor input as `{{$}}` for Python steps, `Concat` and `IfPresent`
JSON placeholders from v1 components) and returns values by writing files
(`{{$.outputs.parameters['y'].output_file}}`) or, for Python steps, an
`executor_output.json`. This module builds the executor input, resolves the
command and reads the outputs back, as a KFP launcher does.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from kfyaml.ir import types as ir
from kfyaml.ir.placeholders import PATTERN
from kfyaml.ir.values import text

from .records import RunError


def executor_input(parameters: dict, artifacts: dict, output_parameters: dict, output_artifacts: dict,
                   output_file: str) -> dict:
    """The JSON a KFP executor reads (kfp.dsl.executor_main --executor_input)."""
    def art(a: dict) -> dict:
        return {"name": a["name"], "type": {"schemaTitle": a["schema_title"], "schemaVersion": ir.ARTIFACT_SCHEMA_VERSION},
                "uri": a["uri"], "metadata": a.get("metadata", {})}

    return {
        "inputs": {"parameterValues": parameters,
                   "artifacts": {name: {"artifacts": [art(a) for a in items]} for name, items in artifacts.items()}},
        "outputs": {"parameters": {name: {"outputFile": path} for name, path in output_parameters.items()},
                    "artifacts": {name: {"artifacts": [art(a)]} for name, a in output_artifacts.items()},
                    "outputFile": output_file},
    }


def resolve_command(items: list[str], io: dict) -> list[str]:
    """The command with every placeholder replaced; IfPresent may drop or add arguments."""
    out: list[str] = []
    for item in items:
        out.extend(_resolve(item, io))
    return out


def _resolve(item: str, io: dict) -> list[str]:
    stripped = item.strip()
    if stripped.startswith("{") and ('"Concat"' in stripped or '"IfPresent"' in stripped):
        try:
            structured = json.loads(stripped)
        except ValueError:
            structured = None
        if isinstance(structured, dict):
            return _structured(structured, io)
    return [_substitute(item, io)]


def _structured(node: Any, io: dict) -> list[str]:
    if isinstance(node, str):
        return _resolve(node, io)
    if "Concat" in node:
        return ["".join("".join(_structured(part, io)) for part in node["Concat"])]
    if "IfPresent" in node:
        spec = node["IfPresent"]
        name = spec["InputName"]
        present = name in io["parameters"] or name in io["artifacts"]
        branch = spec.get("Then", []) if present else spec.get("Else", [])
        branch = branch if isinstance(branch, list) else [branch]
        return [arg for part in branch for arg in _structured(part, io)]
    raise RunError(f"unsupported placeholder {node!r}")


def _substitute(item: str, io: dict) -> str:
    def value(match: re.Match) -> str:
        side, kind, name, attr = match.groups()
        if side is None:
            return json.dumps(io["executor_input"])
        if side == "inputs" and kind == "parameters":
            if name not in io["parameters"]:
                raise RunError(f"the command reads input {name!r}, which has no value")
            return text(io["parameters"][name])
        if side == "inputs":
            return io["artifacts"][name][0]["uri"]  # path and uri are the same file here
        if kind == "parameters":
            return io["output_parameters"][name]
        return io["output_artifacts"][name]["uri"]

    return PATTERN.sub(value, item)


def read_parameter(path: str, parameter_type: str) -> Any:
    """An output parameter from the file a step wrote, typed as declared."""
    with open(path, encoding="utf-8") as fh:
        raw = fh.read()
    if parameter_type == ir.STRING:
        return raw
    raw = raw.strip()
    if parameter_type == ir.INTEGER:
        return int(float(raw))
    if parameter_type == ir.DOUBLE:
        return float(raw)
    if parameter_type == ir.BOOLEAN:
        if raw.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"{raw!r} is not a bool")
        return raw.lower() in ("true", "1")
    return json.loads(raw)


def read_executor_output(path: str) -> dict:
    """The outputs a Python step's executor wrote; ValueError when the file is not JSON."""
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)
