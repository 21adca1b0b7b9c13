"""Silencing warnings, as linters do: an inline comment, or the project's configuration.

`# kfyaml: ignore[KY404]` (several codes: `ignore[KY404, KY405]`) silences
those warnings on its own line, or on the next line when it stands alone on
the line above. A code the comment or the configuration names that kfyaml
does not have, or an error code, is itself reported (BAD_SUPPRESSION):
errors cannot be silenced, because the IR of a pipeline with errors would
be wrong. The same filter serves lint, compile and the language server.
"""

from __future__ import annotations

import re

from .codes import BAD_SUPPRESSION, CODES, Severity
from .config import Config
from .diagnostics import Diagnostic, make

# A YAML comment starts at the line's start or after whitespace.
_COMMENT = re.compile(r"(?:^|\s)#\s*kfyaml:\s*ignore\[([^\]]*)\]")


def inline(file: str, lines: list[str]) -> tuple[dict[int, set[str]], list[Diagnostic]]:
    """Line -> codes silenced there, from the comments in `lines`; and the comments' own problems."""
    silenced: dict[int, set[str]] = {}
    problems: list[Diagnostic] = []
    for number, text in enumerate(lines, start=1):
        if "kfyaml" not in text:
            continue
        for match in _COMMENT.finditer(text):
            target = number + 1 if not text[: match.start()].strip() else number
            offset = match.start(1)
            for raw in match.group(1).split(","):
                code = raw.strip()
                col = offset + (len(raw) - len(raw.lstrip())) + 1
                offset += len(raw) + 1
                known = CODES.get(code)
                if known is None:
                    problems.append(make(file, number, col, BAD_SUPPRESSION,
                                         f'"{code}" is not a kfyaml code; write `# kfyaml: ignore[KY404]`'
                                         if code else "name the codes to ignore: `# kfyaml: ignore[KY404]`"))
                elif known.severity is Severity.ERROR:
                    problems.append(make(file, number, col, BAD_SUPPRESSION,
                                         f"{code} is an error, and errors cannot be ignored: fix it instead"))
                else:
                    silenced.setdefault(target, set()).add(code)
    return silenced, problems


def apply(diags: list[Diagnostic], file: str, lines: list[str], config: Config) -> list[Diagnostic]:
    """The diagnostics left once the comments in `file` and the configuration have spoken."""
    by_line, problems = inline(file, lines)
    ignored = {e.code for e in config.ignore}
    kept = []
    for diag in diags:
        if diag.severity is Severity.WARNING and (
                diag.code in ignored or diag.file == file and diag.code in by_line.get(diag.line, ())):
            continue
        kept.append(diag)
    return kept + problems + list(config.problems)
