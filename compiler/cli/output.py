"""How the CLI prints: colour or not, quiet or verbose, diagnostics with their source line.

Colour follows the habits of mature tools: `--color always|never`, or
`auto` (the default) when the stream is a terminal and `NO_COLOR` is unset.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import TextIO

from .. import api
from ..codes import Severity
from ..diagnostics import Diagnostic, render


@dataclasses.dataclass(frozen=True)
class Style:
    color: str = "auto"  # auto | always | never
    quiet: bool = False
    verbose: bool = False

    def colored(self, stream: TextIO) -> bool:
        if self.color != "auto":
            return self.color == "always"
        return not os.environ.get("NO_COLOR") and getattr(stream, "isatty", lambda: False)()


def diagnostics(result: api.Result, stream: TextIO, style: Style, shown: set | None = None) -> None:
    """Each diagnostic (once, when `shown` collects them across files), with its source line unless quiet."""
    color = style.colored(stream)
    for diag in result.diagnostics:  # a diagnostic may point into another file (a python step's .py)
        if shown is not None:
            if diag in shown:
                continue
            shown.add(diag)
        lines = result.lines if diag.file == result.file and not style.quiet else None
        print(render(diag, lines, color=color), file=stream)


def counts(diags: list[Diagnostic]) -> str:
    errors = sum(d.severity is Severity.ERROR for d in diags)
    warnings = len(diags) - errors
    if not diags:
        return "no problems"
    parts = [f"{errors} error{'s' if errors != 1 else ''}"] if errors else []
    parts += [f"{warnings} warning{'s' if warnings != 1 else ''}"] if warnings else []
    return ", ".join(parts)


def say(text: str, style: Style, stream: TextIO = sys.stderr) -> None:
    """A line for -v only."""
    if style.verbose:
        print(text, file=stream)
