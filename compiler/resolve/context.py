"""What every part of the resolve pass shares: the document, the diagnostics, parsing `${{ }}`.

The parts (steps, loops, components, settings) are functions over one
`Context`; only the context collects diagnostics, so each part reads as
"take YAML, return model objects".
"""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Callable
from typing import Any

from ..catalog import Catalog
from ..codes import EXPRESSION_NOT_ALLOWED, EXPRESSION_SYNTAX, Code
from ..diagnostics import Diagnostic, make
from ..expressions import ExprError, has_expression, parse_template, template_diagnostic
from ..load import Document, Path
from ..model import Component, Gathered, Literal, Template

_FAILED = object()  # a part of a gathered value that did not parse (already reported)


def _holds_expression(raw: Any) -> bool:
    if isinstance(raw, str):
        return has_expression(raw)
    if isinstance(raw, list):
        return any(_holds_expression(item) for item in raw)
    if isinstance(raw, dict):
        return any(_holds_expression(key) or _holds_expression(item) for key, item in raw.items())
    return False


@dataclasses.dataclass
class Context:
    doc: Document
    catalog: Catalog
    chain: tuple[str, ...] = ()             # files being compiled, outermost first: for cycles
    compile_nested: Callable | None = None  # compiles a kfyaml pipeline that `uses:` names
    diags: list[Diagnostic] = dataclasses.field(default_factory=list)
    seen_ids: dict[str, Path] = dataclasses.field(default_factory=dict)
    component_cache: dict[str, Component | None] = dataclasses.field(default_factory=dict)
    unparsed: int = 0  # expressions that did not parse: their names were never read
    root: str | None = None  # files named here are read inside this folder only (None: anywhere)

    def error(self, path: Path, code: Code, message: str, key: bool = False):
        line, col = self.doc.locate(path, key=key)
        self.diags.append(make(self.doc.file, line, col, code, message))

    def template(self, text: str, path: Path, whole: bool = True) -> Template | None:
        """`text` parsed; with `whole`, it must be exactly one expression."""
        try:
            template = parse_template(text, path)
        except ExprError as err:
            self.unparsed += 1
            self.diags.append(template_diagnostic(self.doc, path, err))
            return None
        if whole and template.whole is None:
            self.unparsed += 1
            self.error(path, EXPRESSION_SYNTAX, "this must be one expression and nothing else: "
                                                '"${{ ... }}", with any text inside the braces')
            return None
        return template

    def value(self, raw: Any, path: Path) -> Literal | Template | Gathered | None:
        """A YAML value: a Template when it holds `${{ }}`; a Gathered list or mapping when
        `${{ }}` stands anywhere inside it; else a Literal. None when an expression did not parse."""
        if isinstance(raw, str) and has_expression(raw):
            return self.template(raw, path, whole=False)
        if isinstance(raw, (list, dict)) and _holds_expression(raw):
            built = self._gathered(raw, path)
            return None if built is _FAILED else Gathered(built, path)
        return Literal(raw, path)

    def _gathered(self, raw: Any, path: Path) -> Any:
        """`raw` with each string holding `${{ }}` parsed; _FAILED when one did not parse."""
        if isinstance(raw, str):
            if not has_expression(raw):
                return raw
            template = self.template(raw, path, whole=False)
            return _FAILED if template is None else template
        if isinstance(raw, list):
            items = [self._gathered(item, path + (i,)) for i, item in enumerate(raw)]
            return _FAILED if any(item is _FAILED for item in items) else items
        if isinstance(raw, dict):
            out, failed = {}, False
            for key, item in raw.items():
                if isinstance(key, str) and has_expression(key):
                    self.unparsed += 1  # its names are not read: no "unused param" warning for them
                    self.error(path + (key,), EXPRESSION_NOT_ALLOWED,
                               "a key is literal text: KFP fills in values, never keys. Write the key itself, or "
                               "pass the key as a value and build the mapping in the step", key=True)
                    failed = True
                    continue
                out[key] = self._gathered(item, path + (key,))
                failed = failed or out[key] is _FAILED
            return _FAILED if failed else out
        return raw

    def relative(self, name: str) -> str:
        """A path written in this pipeline file, from the file's own folder."""
        base = os.path.dirname(os.path.abspath(self.doc.source_path)) if self.doc.source_path else os.getcwd()
        return os.path.normpath(os.path.join(base, name))

    def readable(self, name: str, path: Path, code: Code, what: str, limit: int) -> str | None:
        """The file `name` names, when it may be read: inside the project root once symbolic links are
        followed, a regular file (not a device or a pipe), at most `limit` bytes. Otherwise an error
        at `path`, and None. A file that does not exist is left to the caller to report."""
        file = self.relative(name)
        real = os.path.realpath(file)
        root = os.path.realpath(self.root) if self.root else None
        if root is not None and os.path.commonpath([real, root]) != root:
            self.error(path, code, f'{what} "{name}" is outside the project root {root}; kfyaml reads files '
                                   "inside it only (set `root:` in .kfyaml.yaml to widen it)")
            return None
        if not os.path.exists(real):
            return file
        mode = os.stat(real)
        if not stat.S_ISREG(mode.st_mode):
            kind = "a folder" if stat.S_ISDIR(mode.st_mode) else "not a regular file (a device, a pipe or a socket)"
            self.error(path, code, f'{what} "{name}" is {kind}')
            return None
        if mode.st_size > limit:
            self.error(path, code, f'{what} "{name}" is {mode.st_size:,} bytes; the limit is {limit:,}')
            return None
        return file

    def shown(self, name: str) -> str:
        """A path written in this file, as the user would name it: beside the pipeline file."""
        return os.path.normpath(os.path.join(os.path.dirname(self.doc.file), name))
