"""Hover, go to definition, find references, rename and the outline: all from the analysis's index."""

from __future__ import annotations

import json
import os
import re

from .analysis import Analysis, Place
from .completion import library


def symbol_at(analysis: Analysis, line: int, col: int) -> tuple[str, str] | None:
    """The step or param under the cursor: a definition or a reference."""
    for kind, name, place in analysis.references:
        if _inside(place, line, col):
            return kind, name
    for (kind, name), symbol in analysis.symbols.items():
        if _inside(symbol.place, line, col):
            return kind, name
    return None


def _inside(place: Place, line: int, col: int) -> bool:
    return place.line == line and place.col <= col <= place.col + place.length


def definition(analysis: Analysis, line: int, col: int) -> tuple[str, Place] | None:
    """(file path or "" for this file, place) of what the cursor names; `uses:` files too."""
    for step, output, place in analysis.output_refs:  # an output: where the step declares it
        if _inside(place, line, col) and ("step", step) in analysis.symbols and analysis.doc is not None:
            path = analysis.symbols[("step", step)].path + ("outputs", output)
            if path in analysis.doc.key_positions:
                at_line, at_col = analysis.doc.key_positions[path]
                return "", Place(at_line - 1, at_col - 1, len(output))
            return "", analysis.symbols[("step", step)].place
    found = symbol_at(analysis, line, col)
    if found and found in analysis.symbols:
        return "", analysis.symbols[found].place
    text = analysis.lines[line] if line < len(analysis.lines) else ""
    uses = re.search(r"uses:\s*[\"']?([^\s\"'}]+)", text)
    if uses and uses.start(1) <= col <= uses.end(1):
        target = uses.group(1)
        if target.startswith("components."):
            symbol = analysis.symbols.get(("component", target.split(".", 1)[1]))
            return ("", symbol.place) if symbol else None
        if target.startswith("."):
            base = os.path.dirname(analysis.result.file)
            return os.path.normpath(os.path.join(base, target)), Place(0, 0, 0)
    return None


def references(analysis: Analysis, line: int, col: int, include_definition: bool = True) -> list[Place]:
    found = symbol_at(analysis, line, col)
    if found is None:
        return []
    places = [place for kind, name, place in analysis.references if (kind, name) == found]
    if include_definition and found in analysis.symbols:
        places.insert(0, analysis.symbols[found].place)
    return places


_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_PARAM = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def rename(analysis: Analysis, line: int, col: int, new: str) -> tuple[list[Place], str | None]:
    """Every place to change, or an error message."""
    found = symbol_at(analysis, line, col)
    if found is None or found[0] not in ("step", "param"):
        return [], "only a step id or a param can be renamed here"
    kind, name = found
    if not (_ID if kind == "step" else _PARAM).match(new):
        return [], f'"{new}" is not a valid {kind} name'
    if (kind, new) in analysis.symbols:
        return [], f'there is already a {kind} "{new}"'
    return references(analysis, line, col), None


def hover(analysis: Analysis, line: int, col: int) -> str | None:
    """Markdown for what the cursor is on: a step's interface, a param, a step output, a library step."""
    text = analysis.lines[line] if line < len(analysis.lines) else ""
    for step, output, place in analysis.output_refs:
        if _inside(place, line, col):
            found = analysis.step(step)
            port = found.component.outputs.get(output) if found is not None and found.component else None
            return f"`steps.{step}.outputs.{output}`: **{port.type.name}**" if port else None
    uses = re.search(r"uses:\s*stdlib/([a-z0-9_]+)", text)
    if uses and uses.start(1) - len("stdlib/") <= col <= uses.end(1):
        entry = library().get(uses.group(1))
        if entry:
            return f"**stdlib/{uses.group(1)}** {entry.get('version', '')}\n\n{entry.get('description') or entry.get('summary', '')}"
    found = symbol_at(analysis, line, col)
    if found is None:
        return None
    kind, name = found
    if kind == "param" and analysis.result.pipeline and name in analysis.result.pipeline.params:
        p = analysis.result.pipeline.params[name]
        out = f"param `{name}`: **{p.type.name}**"
        if p.has_default:
            out += f", default `{json.dumps(p.default)}`" if p.default is not None else ", optional"
        return out + (f"\n\n{p.description}" if p.description else "")
    if kind == "step":
        step = analysis.step(name)
        if step is None or step.component is None:
            return f"step `{name}`"
        lines = [f"step `{name}`"]
        for title, ports in (("inputs", step.component.inputs), ("outputs", step.component.outputs)):
            if ports:
                lines += ["", f"{title}:"] + [
                    f"- `{n}`: {p.type.name}" + (f" = `{json.dumps(p.default)}`" if p.has_default and p.default is not None else "")
                    + (f": {p.description}" if p.description else "") for n, p in ports.items()]
        return "\n".join(lines)
    return None
