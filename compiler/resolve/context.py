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
from ..codes import EXPRESSION_SYNTAX, Code
from ..diagnostics import Diagnostic, make
from ..expressions import ExprError, has_expression, parse_template, template_diagnostic
from ..load import Document, Path
from ..model import Component, Literal, Template


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

    def value(self, raw: Any, path: Path) -> Literal | Template | None:
        """A YAML value: a Template when it holds `${{ }}`, else a Literal."""
        if isinstance(raw, str) and has_expression(raw):
            return self.template(raw, path, whole=False)
        return Literal(raw, path)

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
