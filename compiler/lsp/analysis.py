"""One open document as the editor features need it: the compiler's diagnostics and model, and an
index of where every step, param and reference stands.

Nothing here parses the pipeline a second way: positions come from the
loader's `Document`, types and interfaces from the resolved `Pipeline`. Only
the places of `steps.<id>` and `params.<name>` inside `${{ }}` are found by a
scan of the text, so that a half-typed file still has its references.
"""

from __future__ import annotations

import dataclasses
import os
import re

from .. import api
from ..load import Document, load_bytes

_EXPR = re.compile(r"\$\{\{(.*?)(\}\}|$)")
_REF = re.compile(r"\b(steps)\.([a-z][a-z0-9_]*)(?:\.outputs\.([A-Za-z_][A-Za-z0-9_]*))?|\b(params)\.([A-Za-z_][A-Za-z0-9_]*)")


@dataclasses.dataclass(frozen=True)
class Place:
    line: int   # 0-based, as LSP counts
    col: int
    length: int


@dataclasses.dataclass
class Symbol:
    kind: str              # step, param, component
    name: str
    place: Place           # its key
    path: tuple            # in the document
    children: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Analysis:
    uri: str
    text: str
    result: api.Result
    doc: Document | None
    symbols: dict[tuple[str, str], Symbol]          # (kind, name) -> definition
    outline: list[Symbol]                           # steps as written, nested
    references: list[tuple[str, str, Place]]        # (kind, name, place): steps.x, params.x, needs entries
    output_refs: list[tuple[str, str, Place]]       # (step, output, place of the output name)

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    def step(self, name: str):
        """The resolved step (its component's interface), when the file got that far."""
        if self.result.pipeline is None:
            return None
        return next((s for s in self.result.pipeline.all_steps() if s.id == name), None)


def analyse(uri: str, path: str, text: str) -> Analysis:
    folder = os.path.dirname(path) if path else None
    result = api.compile_bytes(text.encode("utf-8", "surrogatepass"), path or "pipeline.yaml", lower=False, folder=folder)
    loaded = load_bytes(text.encode("utf-8", "surrogatepass"), path or "pipeline.yaml")
    doc = loaded.document
    symbols: dict = {}
    outline: list[Symbol] = []
    references: list = []
    if doc is not None and isinstance(doc.data, dict):
        data = doc.data
        for name in (data.get("params") or {}) if isinstance(data.get("params"), dict) else {}:
            symbols[("param", name)] = Symbol("param", name, _key(doc, ("params", name), name), ("params", name))
        for name in (data.get("components") or {}) if isinstance(data.get("components"), dict) else {}:
            symbols[("component", name)] = Symbol("component", name, _key(doc, ("components", name), name),
                                                  ("components", name))
        for section in ("steps", "finally"):
            outline += _steps(doc, data.get(section), (section,), symbols, references)
    output_refs = []
    for number, line in enumerate(text.split("\n")):
        for expr in _EXPR.finditer(line):
            for ref in _REF.finditer(expr.group(1)):
                start = expr.start(1) + ref.start()
                if ref.group(1):
                    references.append(("step", ref.group(2), Place(number, start + len("steps."), len(ref.group(2)))))
                    if ref.group(3):
                        at = expr.start(1) + ref.start(3)
                        output_refs.append((ref.group(2), ref.group(3), Place(number, at, len(ref.group(3)))))
                else:
                    references.append(("param", ref.group(5), Place(number, start + len("params."), len(ref.group(5)))))
    return Analysis(uri, text, result, doc, symbols, outline, references, output_refs)


def _key(doc: Document, path: tuple, name: str) -> Place:
    line, col = doc.locate(path, key=True)
    return Place(line - 1, col - 1 + (1 if doc.lines[line - 1][col - 1:col] in "\"'" else 0), len(name))


def _steps(doc: Document, steps, path: tuple, symbols: dict, references: list) -> list[Symbol]:
    out = []
    if not isinstance(steps, dict):
        return out
    for name, body in steps.items():
        here = path + (name,)
        symbol = Symbol("step", str(name), _key(doc, here, str(name)), here)
        symbols.setdefault(("step", str(name)), symbol)
        out.append(symbol)
        if not isinstance(body, dict):
            continue
        needs = body.get("needs")
        for i, need in enumerate(needs if isinstance(needs, list) else [needs] if isinstance(needs, str) else []):
            if isinstance(need, str):
                at = here + ("needs", i) if isinstance(needs, list) else here + ("needs",)
                line, col = doc.locate(at)
                references.append(("step", need, Place(line - 1, col - 1, len(need))))
        symbol.children += _steps(doc, body.get("steps"), here + ("steps",), symbols, references)
        symbol.children += _steps(doc, body.get("finally"), here + ("finally",), symbols, references)
        for i, branch in enumerate(body.get("branches") or [] if isinstance(body.get("branches"), list) else []):
            if isinstance(branch, dict):
                symbol.children += _steps(doc, branch.get("steps"), here + ("branches", i, "steps"), symbols, references)
    return out
