"""`kfyaml graph`: the pipeline's DAG as a person reads it, in Mermaid, Graphviz DOT or text.

Groups, loops and branches are clusters labelled with their `if:` or
`for_each:`, `finally:` steps stand apart, and an edge says why a step waits:
the data it reads, `needs:`, or the condition it is checked against (the
condition's text on the edge). Built from the resolved model and the written
text, so the picture uses the names in the file, not the IR's.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from .checks.references import refs_in
from .load import Document
from .model import Pipeline, Step, templates_in


@dataclasses.dataclass
class Edge:
    source: str
    target: str
    label: str = ""


def _written(doc: Document, path: tuple, key: str) -> Any:
    node: Any = doc.data
    for part in path + (key,):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def _expression(text: Any) -> str:
    return re.sub(r"^\s*\$\{\{\s*|\s*\}\}\s*$", "", str(text)) if text is not None else ""


def _reads(step: Step) -> set[str]:
    """The step ids a step reads: its `with:`, condition, loop items and settings."""
    values = list(step.args.values()) + [step.condition] + ([step.loop.items] if step.loop else [])
    values += step.resources.templates() + step.kubernetes.names() + step.kubernetes.json_values()
    out = set()
    for template in (t for value in values for t in templates_in(value)):
        for expr in template.exprs:
            out |= {r.parts[0] for r in refs_in(expr) if r.root == "steps" and r.parts}
    return out


def _label(doc: Document, step: Step) -> str:
    parts = []
    if step.is_else:
        parts.append("else")
    elif _written(doc, step.path, "if") is not None:
        parts.append(f"if {_expression(_written(doc, step.path, 'if'))}")
    elif _written(doc, step.path, "elif") is not None:
        parts.append(f"elif {_expression(_written(doc, step.path, 'elif'))}")
    if _written(doc, step.path, "matrix") is not None:
        axes = _written(doc, step.path, "matrix")
        parts.append("matrix " + " x ".join(k for k in axes if k not in ("include", "exclude")))
    elif _written(doc, step.path, "for_each") is not None:
        parts.append(f"for each {_expression(_written(doc, step.path, 'for_each'))}")
    return step.id + "".join(f" [{p}]" for p in parts)


def edges(pipeline: Pipeline, doc: Document | None = None) -> list[Edge]:
    """Who waits for whom, each edge once, in the order of the file; an edge into a step checked
    against the source's output carries the condition."""
    leaves = {s.id: s for s in pipeline.all_steps()}
    out, seen = [], set()
    for step in pipeline.all_steps():
        condition = _expression(_written(doc, step.path, "if") or _written(doc, step.path, "elif")) if doc else "if"
        conditioned = set()
        if step.condition is not None:
            for expr in step.condition.exprs:
                conditioned |= {r.parts[0] for r in refs_in(expr) if r.root == "steps" and r.parts}
        for source in sorted(_reads(step)) + [n for n, _ in step.needs]:
            if source not in leaves or source == step.id or (source, step.id) in seen:
                continue
            seen.add((source, step.id))
            out.append(Edge(source, step.id, condition if source in conditioned else ""))
    return out


def mermaid(pipeline: Pipeline, doc: Document) -> str:
    out = ["flowchart TD"]

    def node(step: Step, indent: str):
        if step.children or step.kind == "branches":
            out.append(f'{indent}subgraph {_id(step.id)}["{_escape(_label(doc, step))}"]')
            out.append(f"{indent}  direction TB")
            for child in step.children:
                node(child, indent + "  ")
            out.append(f"{indent}end")
            if step.finally_children:
                out.append(f'{indent}subgraph {_id(step.id)}_finally["{step.id}: finally"]')
                for child in step.finally_children:
                    node(child, indent + "  ")
                out.append(f"{indent}end")
        else:
            out.append(f'{indent}{_id(step.id)}["{_escape(_label(doc, step))}"]')

    for step in pipeline.steps:
        node(step, "  ")
    if pipeline.finally_steps:
        out.append('  subgraph finally["finally: after everything, whatever happened"]')
        for step in pipeline.finally_steps:
            node(step, "    ")
        out.append("  end")
    for edge in edges(pipeline, doc):
        label = f'|"{_escape(edge.label)}"|' if edge.label else ""
        out.append(f"  {_id(edge.source)} -->{label} {_id(edge.target)}")
    return "\n".join(out) + "\n"


def dot(pipeline: Pipeline, doc: Document) -> str:
    out = [f'digraph "{_escape(pipeline.display_name or pipeline.name)}" {{', "  compound=true;", "  rankdir=TB;",
           '  node [shape=box, style=rounded, fontname="Helvetica"];']
    anchors: dict[str, str] = {}

    def node(step: Step, indent: str) -> str:
        if step.children or step.kind == "branches":
            out.append(f"{indent}subgraph cluster_{_id(step.id)} {{")
            out.append(f'{indent}  label="{_escape(_label(doc, step))}"; style=rounded;')
            first = None
            for child in step.children:
                inner = node(child, indent + "  ")
                first = first or inner
            anchor = first or f"{_id(step.id)}_empty"
            if first is None:
                out.append(f'{indent}  {anchor} [label="", shape=point];')
            out.append(f"{indent}}}")
            for child in step.finally_children:
                node(child, indent)
            anchors[step.id] = anchor
            return anchor
        out.append(f'{indent}{_id(step.id)} [label="{_escape(_label(doc, step))}"];')
        anchors[step.id] = _id(step.id)
        return _id(step.id)

    for step in pipeline.steps:
        node(step, "  ")
    if pipeline.finally_steps:
        out.append('  subgraph cluster_finally {\n    label="finally"; style=dashed;')
        for step in pipeline.finally_steps:
            node(step, "    ")
        out.append("  }")
    clusters = {s.id for s in pipeline.all_steps() if s.children or s.kind == "branches"}
    for edge in edges(pipeline, doc):
        attrs = []
        if edge.label:
            attrs.append(f'label="{_escape(edge.label)}"')
        if edge.source in clusters:
            attrs.append(f"ltail=cluster_{_id(edge.source)}")
        if edge.target in clusters:
            attrs.append(f"lhead=cluster_{_id(edge.target)}")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        out.append(f"  {anchors.get(edge.source, edge.source)} -> {anchors.get(edge.target, edge.target)}{suffix};")
    out.append("}")
    return "\n".join(out) + "\n"


def ascii_tree(pipeline: Pipeline, doc: Document) -> str:
    """The steps as an indented tree, each with what it waits for."""
    waits: dict[str, list[str]] = {}
    for edge in edges(pipeline, doc):
        waits.setdefault(edge.target, []).append(edge.source + (" (if)" if edge.label else ""))
    out = []

    def line(step: Step, prefix: str, last: bool):
        branch = "└── " if last else "├── "
        after = f"  ← {', '.join(waits[step.id])}" if step.id in waits else ""
        out.append(f"{prefix}{branch}{_label(doc, step)}{after}")
        children = step.children + step.finally_children
        for i, child in enumerate(children):
            line(child, prefix + ("    " if last else "│   "), i == len(children) - 1)

    out.append(pipeline.display_name or pipeline.name)
    for i, step in enumerate(pipeline.steps):
        line(step, "", i == len(pipeline.steps) - 1 and not pipeline.finally_steps)
    if pipeline.finally_steps:
        out.append("└── finally")
        for i, step in enumerate(pipeline.finally_steps):
            line(step, "    ", i == len(pipeline.finally_steps) - 1)
    return "\n".join(out) + "\n"


def _id(step_id: str) -> str:
    """An identifier Mermaid and DOT accept (a branch is `decide[0]` in the model)."""
    return re.sub(r"\W", "_", step_id)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "'")


RENDER = {"mermaid": mermaid, "dot": dot, "ascii": ascii_tree}


def as_data(pipeline: Pipeline, doc: Document) -> dict:
    """The DAG as plain data, for the run page and `kfyaml report`: every step with its label, the group it
    sits in (None at the top) and whether it is a group itself; `finally:` steps marked; edges as `edges`."""
    nodes: list[dict] = []

    def add(step: Step, parent: str | None, final: bool) -> None:
        group = bool(step.children) or step.kind == "branches"
        nodes.append({"id": step.id, "label": _label(doc, step), "parent": parent, "group": group, "finally": final})
        for child in step.children:
            add(child, step.id, final)
        for child in step.finally_children:
            add(child, parent, True)

    for step in pipeline.steps:
        add(step, None, False)
    for step in pipeline.finally_steps:
        add(step, None, True)
    return {"nodes": nodes, "edges": [dataclasses.asdict(edge) for edge in edges(pipeline, doc)]}
