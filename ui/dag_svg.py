"""The pipeline's DAG as SVG, laid out here so the page and the report need no script library.

Layers by longest path from the start (networkx's topological
generations), order within a layer by the mean place of what a step waits
for (one barycentre sweep, members of a group kept together), and groups
drawn as boxes around their steps. `finally:` steps sit in a last row.
Each step is `<g class="node state-..." data-node="id">`, so the page
colours states by changing one class, without drawing again.
"""

from __future__ import annotations

from html import escape

import networkx as nx

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 176, 36, 24, 56, 12


def svg(graph: dict, states: dict[str, str] | None = None) -> str:
    nodes = {node["id"]: node for node in graph.get("nodes", [])}
    leaves = [n for n, node in nodes.items() if not node.get("group")]
    states = states or {}
    if not leaves:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="10" y="24">no steps</text></svg>'
    dag = nx.DiGraph()
    dag.add_nodes_from(leaves)
    members: dict[str, list[str]] = {n: [] for n in nodes}  # each node's own leaves (a leaf: itself)
    for leaf in leaves:
        members[leaf].append(leaf)
        parent = nodes[leaf].get("parent")
        while parent is not None and parent in members:
            members[parent].append(leaf)
            parent = nodes[parent].get("parent")
    place = {n: i for i, n in enumerate(nodes)}
    for edge in graph.get("edges", []):
        for source in members.get(edge["source"], []):
            for target in members.get(edge["target"], []):
                if source != target:
                    dag.add_edge(source, target)
    if not nx.is_directed_acyclic_graph(dag):  # never from a checked pipeline; drawn flat rather than not at all
        dag.remove_edges_from(list(dag.edges))
    main = [n for n in leaves if not nodes[n].get("finally")]
    layers = [list(layer) for layer in nx.topological_generations(dag.subgraph(main))]
    finals = [n for n in leaves if nodes[n].get("finally")]
    if finals:
        layers.append(finals)
    order: dict[str, float] = {}
    for layer in layers:
        def key(n: str) -> tuple:
            waits = [order[p] for p in dag.predecessors(n) if p in order]
            return (place[_top(n, nodes)], sum(waits) / len(waits) if waits else 0.0, place[n])
        layer.sort(key=key)
        for i, n in enumerate(layer):
            order[n] = float(i)
    width = max(len(layer) for layer in layers)
    pos = {}
    for row, layer in enumerate(layers):
        shift = (width - len(layer)) * (NODE_W + GAP_X) / 2
        for col, n in enumerate(layer):
            pos[n] = (PAD * 4 + shift + col * (NODE_W + GAP_X), PAD * 4 + row * (NODE_H + GAP_Y))
    total_w = PAD * 8 + width * (NODE_W + GAP_X)
    total_h = PAD * 8 + len(layers) * (NODE_H + GAP_Y)
    out = [f'<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" height="{total_h:.0f}" '
           f'viewBox="0 0 {total_w:.0f} {total_h:.0f}">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#888"/></marker></defs>']
    for group in sorted((n for n in nodes if nodes[n].get("group")), key=lambda n: _depth(n, nodes)):
        inside = [pos[m] for m in members[group] if m in pos]
        if not inside:
            continue
        depth = _depth(group, nodes)
        grow = PAD * max(1, 3 - depth)
        x0, y0 = min(x for x, _ in inside) - grow, min(y for _, y in inside) - grow - 14
        x1, y1 = max(x for x, _ in inside) + NODE_W + grow, max(y for _, y in inside) + NODE_H + grow
        out.append(f'<g class="group state-{escape(states.get(group, "pending"))}" data-node="{escape(group)}">'
                   f'<rect x="{x0:.0f}" y="{y0:.0f}" width="{x1 - x0:.0f}" height="{y1 - y0:.0f}" rx="8"/>'
                   f'<text x="{x0 + 8:.0f}" y="{y0 + 14:.0f}">{escape(_short(nodes[group]["label"], 48))}</text>'
                   f'<title>{escape(nodes[group]["label"])}</title></g>')
    for source, target in dag.edges:
        (x0, y0), (x1, y1) = pos[source], pos[target]
        out.append(f'<path class="edge" d="M {x0 + NODE_W / 2:.0f} {y0 + NODE_H:.0f} C {x0 + NODE_W / 2:.0f} '
                   f'{y0 + NODE_H + GAP_Y / 2:.0f}, {x1 + NODE_W / 2:.0f} {y1 - GAP_Y / 2:.0f}, {x1 + NODE_W / 2:.0f} '
                   f'{y1:.0f}" marker-end="url(#arrow)"/>')
    for n in leaves:
        x, y = pos[n]
        label = nodes[n]["label"]
        out.append(f'<g class="node state-{escape(states.get(n, "pending"))}" data-node="{escape(n)}" tabindex="0" '
                   f'role="button"><rect x="{x:.0f}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="6"/>'
                   f'<text x="{x + 10:.0f}" y="{y + 23:.0f}">{escape(_short(label, 24))}</text>'
                   f'<title>{escape(label)}</title></g>')
    out.append("</svg>")
    return "".join(out)


def _top(node_id: str, nodes: dict[str, dict]) -> str:
    """The top-level step holding a node: members of one group are drawn side by side."""
    while nodes[node_id].get("parent") in nodes:
        node_id = nodes[node_id]["parent"]
    return node_id


def _depth(node_id: str, nodes: dict[str, dict]) -> int:
    depth = 0
    while nodes[node_id].get("parent") in nodes:
        node_id, depth = nodes[node_id]["parent"], depth + 1
    return depth


def _short(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"
