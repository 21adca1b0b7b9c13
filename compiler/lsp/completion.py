"""What may be typed here: keys by the schema and where the cursor stands, `${{ }}` names with
their types, step ids in `needs:`, library steps and files in `uses:`, a library step's inputs.
"""

from __future__ import annotations

import functools
import json
import os
import re

from ..resolve.trainjob import SET_BY_COMPILE
from ..resolve.trainjob import STEP as TRAINJOB_STEP
from .analysis import Analysis

_OPEN_EXPR = re.compile(r"\$\{\{(?!.*\}\})([^}]*)$")
_PIPELINE_NAMES = {"status": "dict: how the pipeline ended (finally: steps)", "job_name": "string",
                   "job_id": "string", "job_resource_name": "string", "create_time": "string",
                   "schedule_time": "string"}


@functools.lru_cache(maxsize=1)
def schema() -> dict:
    from importlib import resources

    return json.loads(resources.files("kfyaml.schemas").joinpath("pipeline.schema.json").read_text("utf-8"))


@functools.lru_cache(maxsize=1)
def library() -> dict:
    from kfyaml.stdlib_steps import catalog

    return catalog()


def _keys(definition: str) -> dict[str, str]:
    defs = schema()["$defs"]
    props = defs[definition]["properties"] if definition in defs else schema()["properties"]
    return {k: (v.get("description") or "") for k, v in props.items()}


def complete(analysis: Analysis, line: int, col: int) -> list[tuple[str, str, str]]:
    """(label, kind, detail) items: kind is one of key, name, step, file, input."""
    lines = analysis.lines
    text = lines[line][:col] if line < len(lines) else ""
    expr = _OPEN_EXPR.search(text)
    if expr:
        return _names(analysis, expr.group(1), line)
    stripped = text.strip()
    if re.match(r"^(-\s*)?needs:\s*(\[.*)?$", stripped) or (stripped.startswith("- ") and _parent_key(lines, line) == "needs"):
        return [(s, "step", "a step id") for (kind, s) in analysis.symbols if kind == "step"]
    uses = re.match(r"^(?:-\s*)?uses:\s*(\S*)$", stripped) or re.search(r"\{\s*uses:\s*(\S*)$", stripped)
    if uses:
        return _uses(analysis, uses.group(1))
    if re.match(r"^\s*(-\s*)?[A-Za-z_]*$", text):  # a key being typed
        return _key_items(analysis, lines, line, len(text) - len(text.lstrip(" -")))
    return []


def _names(analysis: Analysis, typed: str, line: int) -> list[tuple[str, str, str]]:
    word = re.search(r"[A-Za-z0-9_.]*$", typed).group(0)
    parts = word.split(".")
    if len(parts) == 1:
        roots = [("params", "name", "the pipeline's params"), ("steps", "name", "outputs of other steps"),
                 ("item", "name", "the loop item"), ("matrix", "name", "this combination's values"),
                 ("pipeline", "name", "run-time names and, in finally:, the status"),
                 ("inputs", "name", "the step's inputs (command and args)"),
                 ("outputs", "name", "the step's outputs (command and args)")]
        for name in _loop_names(analysis):
            roots.append((name, "name", "a loop variable (as:)"))
        return roots
    head = parts[0]
    if head == "params" and len(parts) == 2:
        params = analysis.result.pipeline.params if analysis.result.pipeline else {}
        return [(n, "name", p.type.name + (f" = {json.dumps(p.default)}" if p.has_default and p.default is not None else ""))
                for n, p in params.items()] or [(n, "name", "param") for (k, n) in analysis.symbols if k == "param"]
    if head == "steps" and len(parts) == 2:
        return [(n, "step", "step") for (k, n) in analysis.symbols if k == "step"]
    if head == "steps" and len(parts) == 3:
        return [("outputs", "key", "the step's outputs")]
    if head == "steps" and len(parts) == 4 and parts[2] == "outputs":
        step = analysis.step(parts[1])
        if step is not None and step.component is not None:
            return [(n, "name", p.type.name) for n, p in step.component.outputs.items()]
        return []
    if head == "pipeline" and len(parts) == 2:
        return [(n, "name", d) for n, d in _PIPELINE_NAMES.items()]
    if head in ("inputs", "outputs") and len(parts) == 2:
        step = _enclosing_step(analysis, line)
        if step is not None and step.component is not None:
            ports = step.component.inputs if head == "inputs" else step.component.outputs
            return [(n, "name", p.type.name) for n, p in ports.items()]
    if head == "matrix" and len(parts) == 2:
        step = _enclosing_step(analysis, line)
        loop = getattr(step, "loop", None) if step is not None else None
        return [(axis, "name", t.name) for axis, t in (loop.fields if loop is not None else ())]
    return []


def _loop_names(analysis: Analysis) -> list[str]:
    names = set()
    for line in analysis.lines:
        match = re.match(r"^\s*as:\s*([A-Za-z_][A-Za-z0-9_]*)\s*$", line)
        if match:
            names.add(match.group(1))
    return sorted(names)


def _enclosing_step(analysis: Analysis, line: int):
    """The step whose key stands last before `line` (the one being written)."""
    best = None
    for (kind, name), symbol in analysis.symbols.items():
        if kind == "step" and symbol.place.line <= line and (best is None or symbol.place.line > best[0]):
            best = (symbol.place.line, name)
    return analysis.step(best[1]) if best else None


def _uses(analysis: Analysis, typed: str) -> list[tuple[str, str, str]]:
    if typed.startswith("stdlib/") or "stdlib/".startswith(typed):
        return [(f"stdlib/{name}", "step", step.get("summary", "")) for name, step in sorted(library().items())]
    if typed.startswith("components."):
        return [(f"components.{n}", "name", "a component of this file") for (k, n) in analysis.symbols if k == "component"]
    if typed.startswith("."):
        base = os.path.dirname(analysis.result.file) if analysis.result.file else "."
        folder = os.path.normpath(os.path.join(base, os.path.dirname(typed) or "."))
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return []
        prefix = os.path.dirname(typed)
        return [((prefix + "/" if prefix else "./") + n + ("/" if os.path.isdir(os.path.join(folder, n)) else ""),
                 "file", "a component file or pipeline") for n in names
                if os.path.isdir(os.path.join(folder, n)) or n.endswith((".yaml", ".yml"))]
    return []


def _parent_key(lines: list[str], line: int) -> str | None:
    """The key of the nearest line above with less indentation."""
    current = lines[line] if line < len(lines) else ""
    indent = len(current) - len(current.lstrip(" -"))
    for above in range(line - 1, -1, -1):
        text = lines[above]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        depth = len(text) - len(text.lstrip(" "))
        if depth < indent:
            match = re.match(r"^\s*(?:-\s*)?([A-Za-z0-9_.\-\"']+)\s*:", text)
            return match.group(1).strip("\"'") if match else None
    return None


def _key_items(analysis: Analysis, lines: list[str], line: int, indent: int) -> list[tuple[str, str, str]]:
    parent = _parent_key(lines, line)
    if parent is None and indent == 0:
        return [(k, "key", d) for k, d in _keys("").items()]
    grand = _parent_key(lines, _line_of(lines, line, parent)) if parent else None
    sections = {"resources": "resources", "retry": "retry", "kubernetes": "kubernetes"}
    if parent in sections:
        return [(k, "key", d) for k, d in _keys(sections[parent]).items()]
    if parent == "with" and grand is not None:
        step = analysis.step(grand)
        if step is not None and step.component is not None:
            hidden = SET_BY_COMPILE if step.component.source == TRAINJOB_STEP else ()  # never written by hand
            return [(n, "input", p.type.name + (f" = {json.dumps(p.default)}" if p.has_default else "")
                     + (f": {p.description}" if p.description else "")) for n, p in step.component.inputs.items()
                    if n not in hidden]
        return []
    if grand in ("steps", "finally") or (parent and ("step", parent) in analysis.symbols):
        return [(k, "key", d) for k, d in _keys("step").items()]
    return []


def _line_of(lines: list[str], line: int, key: str | None) -> int:
    current = lines[line] if line < len(lines) else ""
    indent = len(current) - len(current.lstrip(" -"))
    for above in range(line - 1, -1, -1):
        text = lines[above]
        if text.strip() and len(text) - len(text.lstrip(" ")) < indent and key and key in text:
            return above
    return 0
