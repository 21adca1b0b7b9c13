"""One diagnostic type for every pass, from YAML syntax to lowering.

Every problem a user can cause ends here as a `Diagnostic` with a file, a
1-based line and column, a code and a message; nothing else is ever shown to
the user for their own mistakes. The codes, with the passes that report
them, are registered in `codes`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from .codes import Code, Severity


@dataclasses.dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem at a place in a file. Ordered by file, line, column."""

    file: str
    line: int
    col: int
    code: str
    message: str
    severity: Severity = Severity.ERROR

    def format(self) -> str:
        """One line, always: user text in it (a key, a file name) has its control characters escaped, so
        it can never start a line of its own (a forged `::error` workflow command) or drive a terminal."""
        return f"{printable(self.file)}:{self.line}:{self.col}: {self.severity.value}: {printable(self.message)} [{self.code}]"

    def to_json(self) -> dict:
        return {
            "file": self.file, "line": self.line, "column": self.col,
            "severity": self.severity.value, "code": self.code, "message": self.message,
        }


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\x1b": "\\x1b"}


def printable(text: str) -> str:
    """Text with control characters (but tabs) and line separators shown as escapes."""
    if text.isprintable():
        return text
    return "".join(ch if ch == "\t" or ch.isprintable() or (ch == " ") else _ESCAPES.get(ch, f"\\x{ord(ch):02x}" if ord(ch) < 0x100
                   else f"\\u{ord(ch):04x}") for ch in text)


def make(file: str, line: int, col: int, code: Code, message: str) -> Diagnostic:
    """Build a diagnostic whose severity comes from its code."""
    return Diagnostic(file, line, col, code.id, message, code.severity)


def sort_unique(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(diags))


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diags)


_ANSI = {"bold": "\033[1m", "red": "\033[1;31m", "yellow": "\033[1;33m", "dim": "\033[2m", "green": "\033[32m",
         "reset": "\033[0m"}


_CREDENTIALS = re.compile(r"(://)[^/\s@]*:[^/\s@]*@")  # `user:secret@` in a URL


def render(diag: Diagnostic, source_lines: list[str] | None, color: bool = False) -> str:
    """The diagnostic line, then the source line with a caret under the column; ANSI colours if asked."""
    def paint(text: str, style: str) -> str:
        return f"{_ANSI[style]}{text}{_ANSI['reset']}" if color else text

    level = paint(diag.severity.value, "red" if diag.severity is Severity.ERROR else "yellow")
    out = (f"{paint(f'{printable(diag.file)}:{diag.line}:{diag.col}:', 'bold')} {level}: {printable(diag.message)} "
           f"{paint(f'[{diag.code}]', 'dim')}")
    if source_lines and 1 <= diag.line <= len(source_lines):
        text = _CREDENTIALS.sub(r"\1***@", source_lines[diag.line - 1].rstrip("\n"))  # never echo a password
        if len(text) <= 400 and all(ch == "\t" or ch.isprintable() for ch in text):
            caret_pad = "".join("\t" if ch == "\t" else " " for ch in text[: diag.col - 1])
            gutter = paint("|", "dim")
            out += f"\n  {diag.line} {gutter} {text}\n  {' ' * len(str(diag.line))} {gutter} {caret_pad}{paint('^', 'green')}"
    return out


_SUGGESTIONS = [0]  # comparisons made for did-you-mean in this check: bounded, see `suggest`
MAX_SUGGESTION_WORK = 200_000


def reset_suggestions() -> None:
    _SUGGESTIONS[0] = 0


def suggest(word: str, candidates: Iterable[str]) -> str:
    """A ` (did you mean "x"?)` suffix, or nothing when no candidate is close. Each comparison costs;
    a file with thousands of unknown names among thousands of steps would spend minutes here, so the
    work per check is bounded and later names go without a suggestion."""
    import difflib

    pool = sorted(set(candidates))
    if _SUGGESTIONS[0] + len(pool) > MAX_SUGGESTION_WORK:
        return ""
    _SUGGESTIONS[0] += len(pool)
    match = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return f'; did you mean "{match[0]}"?' if match else ""
