"""The last check before anything is written: no `${{ }}` of the pipeline file reaches the IR as text.

Every expression is either lowered to IR wiring or refused where it stands
by an earlier pass. Should one slip through (a field no pass knew to read),
KFP would store the text and hand it to the step, which then fails on the
cluster or, worse, runs with it. This gate walks the whole PipelineSpec and
PlatformSpec once, and any string (key or value) still holding an expression
written in the pipeline file is a kfyaml bug, reported as KY900 at the place
in the file where that expression was written, with nothing written.

Text that is not the pipeline file's (a `python:` step's code, a component
file's own command) may hold `${{` legitimately and is not the file's
expression: only expressions that the file writes outside `python:` code
count.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .codes import INTERNAL_ERROR
from .diagnostics import Diagnostic, make
from .expressions import OPEN, ExprError, split
from .load import Document, Path

_CODE_KEYS = {"python"}  # values that are code, not YAML text the language reads


def check(doc: Document, spec: dict, platform: dict | None) -> list[Diagnostic]:
    code = _program_texts(spec)
    leaks = [(where, text) for root, tree in (("PipelineSpec", spec), ("PlatformSpec", platform or {}))
             for where, text in _strings(tree, (root,)) if OPEN in text and where not in code]
    if not leaks:
        return []
    written = _written_expressions(doc)
    diags = []
    for where, text in leaks:
        for source in _sources(text):
            if source in written:
                line, col = doc.locate(written[source])
                diags.append(make(doc.file, line, col, INTERNAL_ERROR,
                                  f"internal error: the expression `${{{{{source}}}}}` would reach the IR as text (at "
                                  f"{_shown(where)}) instead of being filled in when the step runs; nothing was "
                                  "written. Please report this file to the kfyaml maintainers"))
                break
    return diags


def _program_texts(spec: dict) -> set[tuple]:
    """Where the IR holds a Python step's program (its code and docstrings, which may quote `${{ }}`):
    the command of every executor that runs `kfp.dsl.executor_main` with a function to execute."""
    out = set()
    for label, executor in spec.get("deploymentSpec", {}).get("executors", {}).items():
        container = executor.get("container") or {}
        if "--function_to_execute" in (container.get("args") or []):
            base = ("PipelineSpec", "deploymentSpec", "executors", label, "container", "command")
            out |= {base + (i,) for i in range(len(container.get("command") or []))}
    return out


def _strings(node: Any, path: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, item in node.items():
            if isinstance(key, str):
                yield path + (key,), key
            yield from _strings(item, path + (key,))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _strings(item, path + (i,))


def _sources(text: str) -> list[str]:
    try:
        return [source for _, source, _ in split(text) if source is not None]
    except ExprError:  # an unclosed `${{` in the IR: not an expression the file wrote
        return []


def _written_expressions(doc: Document) -> dict[str, Path]:
    """Each expression's source text the file writes (outside code), with the first place it is written."""
    found: dict[str, Path] = {}

    def walk(node: Any, path: Path) -> None:
        if isinstance(node, str) and OPEN in node:
            for source in _sources(node):
                found.setdefault(source, path)
        elif isinstance(node, dict):
            for key, item in node.items():
                if isinstance(key, str) and OPEN in key:
                    for source in _sources(key):
                        found.setdefault(source, path + (key,))
                if key not in _CODE_KEYS:
                    walk(item, path + (key,))
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, path + (i,))

    walk(doc.data, ())
    return found


def _shown(where: tuple) -> str:
    return where[0] + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where[1:])
