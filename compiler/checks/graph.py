"""The pipeline as one networkx graph: cycles, `needs:`, unused params.

KFP runs each group as its own DAG, so a dependency between steps in
different groups is really a dependency between the two sibling tasks under
their lowest common group. Every edge (data or `needs:`) is projected to
those siblings before cycles are looked for; a cycle that only exists across
groups is still a cycle. Cycles are reported from the step written first, so
the message is the same on every run.
"""

from __future__ import annotations

import dataclasses

import networkx as nx

from ..codes import CYCLE, REDUNDANT_NEEDS, SELF_DEPENDENCY, UNKNOWN_STEP, UNUSED_PARAM
from ..diagnostics import Diagnostic, make, suggest
from ..load import Document, Path
from ..model import Pipeline, Step
from .references import References


@dataclasses.dataclass
class Graph:
    """Dependencies between sibling tasks: `deps[step]` are steps in the same group it waits for."""

    deps: dict[Step, set[Step]]
    diagnostics: list[Diagnostic]


def siblings(a: Step, b: Step) -> tuple[Step, Step] | None:
    """The ancestors-or-selves of a and b that share a parent, or None if one contains the other."""
    chain_a = [a] + a.ancestors()
    chain_b = [b] + b.ancestors()
    set_b = set(chain_b)
    for _i, node in enumerate(chain_a):
        parent = node.parent
        if parent is None or parent in set_b:
            for other in chain_b:
                if other.parent is parent and other.in_finally == node.in_finally:
                    return (node, other) if node is not other else None
            return None
    return None


def check(doc: Document, pipeline: Pipeline, refs: References, expressions_ok: bool = True) -> Graph:
    diags: list[Diagnostic] = []
    steps = {s.id: s for s in pipeline.all_steps()}
    order = {s: i for i, s in enumerate(pipeline.all_steps())}
    graph = nx.DiGraph()
    graph.add_nodes_from(order)
    data_deps: dict[Step, set[Step]] = {}

    def add(producer: Step, consumer: Step, path: Path, kind: str):
        pair = siblings(producer, consumer)
        if pair is None:
            return
        src, dst = pair
        graph.add_edge(src, dst)
        graph.edges[src, dst].setdefault("where", []).append((path, kind))
        if kind == "data":
            data_deps.setdefault(dst, set()).add(src)

    for producer, consumer, path in refs.edges:
        add(producer, consumer, path, "data")

    needs_edges: list[tuple[Step, Step, Path]] = []
    for step in pipeline.all_steps():
        for name, path in step.needs:
            line, col = doc.locate(path)
            target = steps.get(name)
            if target is None:
                diags.append(make(doc.file, line, col, UNKNOWN_STEP, f'`needs:` names no step "{name}"{suggest(name, steps)}'))
            elif target is step or target in step.ancestors():
                what = "itself" if target is step else f'its own group "{name}"'
                diags.append(make(doc.file, line, col, SELF_DEPENDENCY, f'step "{step.id}" cannot need {what}'))
            elif step in target.ancestors():
                diags.append(make(doc.file, line, col, SELF_DEPENDENCY,
                                  f'group "{step.id}" cannot need "{name}", a step inside it'))
            elif target.in_finally != step.in_finally:
                diags.append(make(doc.file, line, col, UNKNOWN_STEP,
                                  f'"{name}" is in {"finally:" if target.in_finally else "steps:"}; '
                                  "finally: steps already run after all other steps"))
            else:
                add(target, step, path, "needs")
                needs_edges.append((target, step, path))

    diags.extend(_cycles(doc, graph, order))
    if not any(d.code == CYCLE for d in diags):
        diags.extend(_redundant(doc, graph, needs_edges, data_deps))
    # A param read only by an expression that failed to parse or resolve is not unused.
    for name, param in (pipeline.params.items() if expressions_ok else ()):
        if name not in refs.used_params:
            line, col = doc.locate(param.path, key=True)
            diags.append(make(doc.file, line, col, UNUSED_PARAM,
                              f'param "{name}" is never used; remove it or read it with ${{{{ params.{name} }}}}'))
    deps = {node: set(graph.predecessors(node)) for node in graph.nodes}
    return Graph(deps, diags)


def _cycles(doc: Document, graph: nx.DiGraph, order: dict[Step, int]) -> list[Diagnostic]:
    diags = []
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        start = min(component, key=order.__getitem__)
        sub = graph.subgraph(component)
        # The shortest way back to the first-written step, choosing earlier steps on ties.
        best = None
        for succ in sorted(sub.successors(start), key=order.__getitem__):
            path = nx.shortest_path(sub, succ, start)
            if best is None or len(path) < len(best):
                best = path
        cycle = [start] + best
        line, col = doc.locate(start.path, key=True)
        text = " -> ".join(s.id for s in cycle)
        diags.append(make(doc.file, line, col, CYCLE,
                          f"steps wait for each other in a cycle: {text} (each waits for the one before it); "
                          "remove one of these dependencies"))
    return diags


def _redundant(doc, graph: nx.DiGraph, needs_edges, data_deps) -> list[Diagnostic]:
    diags = []
    known: dict = {}

    def ancestors(node) -> set:  # each step's ancestors once: near-linear, not n^3 for wide fan-ins
        if node not in known:
            known[node] = nx.ancestors(graph, node)
        return known[node]

    for target, step, path in needs_edges:
        pair = siblings(target, step)
        if pair is None:
            continue
        src, dst = pair
        line, col = doc.locate(path)
        if src in data_deps.get(dst, ()):
            diags.append(make(doc.file, line, col, REDUNDANT_NEEDS,
                              f'"{target.id}" in `needs:` is redundant: "{step.id}" already reads its outputs'))
            continue
        for other in sorted(graph.predecessors(dst), key=lambda s: s.id):
            if other is not src and src in ancestors(other):
                diags.append(make(doc.file, line, col, REDUNDANT_NEEDS,
                                  f'"{target.id}" in `needs:` is redundant: it already runs before "{other.id}", '
                                  f'which "{step.id}" waits for'))
                break
    return diags
