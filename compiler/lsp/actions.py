"""Quick fixes for diagnostics: take the did-you-mean, quote a `${{ }}` in a flow mapping, silence a warning."""

from __future__ import annotations

import re

from ..codes import CODES

_MEAN = re.compile(r'"([^"]+)"[^"]*did you mean "([^"]+)"\?')
_EXPR = re.compile(r"\$\{\{.*?\}\}")


def fixes(lines: list[str], line: int, col: int, code: str, message: str, warning: bool) -> list[tuple[str, list]]:
    """(title, edits) for one diagnostic; an edit is (line, start, end, new text), 0-based."""
    out = []
    text = lines[line] if line < len(lines) else ""
    mean = _MEAN.search(message)
    if mean:
        wrong, right = mean.groups()
        at = text.find(wrong, max(0, col))
        if at < 0:
            at = text.find(wrong)
        if at >= 0:
            out.append((f'Change "{wrong}" to "{right}"', [(line, at, at + len(wrong), right)]))
    if CODES.get(code) is not None and CODES[code].title == "unquoted-expression":
        expr = _EXPR.search(text, max(0, col))
        if expr:
            out.append(("Quote the expression", [(line, expr.start(), expr.end(), f'"{expr.group(0)}"')]))
    if warning:
        comment = f"  # kfyaml: ignore[{code}]"
        out.append((f"Silence {code} on this line", [(line, len(text), len(text), comment)]))
    return out
