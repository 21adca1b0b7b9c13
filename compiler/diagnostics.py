"""One diagnostic type for every pass, from YAML syntax to lowering.

Every problem a user can cause ends here as a `Diagnostic` with a file, a
1-based line and column, a code and a message; nothing else is ever shown to
the user for their own mistakes. Codes are grouped by the pass that finds
them so a code alone tells where to look in the compiler:

    KY1xx load, KY2xx schema, KY3xx resolve, KY4xx graph, KY5xx expressions
    and types, KY6xx lowering limits.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Iterable


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclasses.dataclass(frozen=True)
class Code:
    code: str
    title: str
    severity: Severity
    description: str


def _c(code: str, title: str, description: str, severity: Severity = Severity.ERROR) -> Code:
    return Code(code, title, severity, description)


W = Severity.WARNING

# The single registry of codes: docs/checks.md is generated from it and the
# fixture tests check that every code has an `err/` fixture.
CODES: dict[str, Code] = {c.code: c for c in [
    _c("KY101", "yaml-syntax", "The file is not valid YAML. The message says what the YAML parser expected."),
    _c("KY102", "duplicate-key", "A mapping has the same key twice; YAML loaders silently keep the last one, so kfyaml refuses it."),
    _c("KY103", "alias-bomb", "Anchors and aliases expand to more nodes than a pipeline could need (an alias bomb)."),
    _c("KY104", "too-deep", "Nesting is deeper than any pipeline needs; the limit protects the compiler's stack."),
    _c("KY105", "too-large", "The file is larger than the size limit for a pipeline file."),
    _c("KY106", "not-utf8", "The file is not UTF-8 text."),
    _c("KY107", "empty-file", "The file holds no YAML document."),
    _c("KY108", "unreadable", "The file could not be read (missing, a directory, or no permission)."),
    _c("KY109", "unquoted-expression", "A `${{ }}` expression stands unquoted inside a YAML flow mapping or list, where `{` and `}` are syntax."),
    _c("KY110", "yaml-tag", "A YAML tag (`!!python/object`, `!custom`) that a pipeline file has no use for."),
    _c("KY201", "schema", "A value has the wrong type or form for its key, or a required key is missing."),
    _c("KY202", "unknown-key", "A key that the pipeline language does not have; often a misspelling."),
    _c("KY301", "unknown-stdlib-step", "`uses: stdlib/<name>` names no step of the standard library."),
    _c("KY302", "bad-uses", "`uses:` names a file that is not a KFP component or kfyaml pipeline, or no `components:` entry, or is not a reference at all."),
    _c("KY303", "unknown-input", "`with:` sets an input that the step does not declare."),
    _c("KY304", "missing-input", "A required input of the step is not set in `with:`."),
    _c("KY305", "unknown-placeholder", "`${{ inputs.x }}` or `${{ outputs.y }}` in a command names nothing the step declares."),
    _c("KY306", "unused-declaration", "An inline step declares an input or output that its command and args never use, so it can never be read or written.", W),
    _c("KY307", "duplicate-id", "A step id is used twice; ids are unique in the whole file, groups and `finally:` included."),
    _c("KY308", "bad-default", "A default value does not have the declared type."),
    _c("KY309", "bad-resource", "A CPU, memory or GPU value Kubernetes would not accept."),
    _c("KY310", "bad-duration", "A duration (`timeout`, `retry.backoff`) that is not a number of seconds or a `10s`/`5m`/`2h` form."),
    _c("KY311", "python-step", "A `python:` step's code or file: it does not parse, has no such function, or uses an annotation KFP cannot pass."),
    _c("KY312", "file-cycle", "Pipeline files use each other in a cycle; the message gives the chain."),
    _c("KY401", "cycle", "Steps depend on each other in a cycle; the message gives the path."),
    _c("KY402", "unknown-step", "`needs:` or `steps.<id>` names no step."),
    _c("KY403", "self-dependency", "A step needs or reads itself."),
    _c("KY404", "redundant-needs", "A `needs:` entry already follows from the step's data or from another need.", W),
    _c("KY405", "unused-param", "A pipeline param that no step, condition or output uses.", W),
    _c("KY406", "conditional-output", "A step's output is read outside the `if:` that may skip that step."),
    _c("KY407", "loop-scope", "A loop variable or matrix value is used outside its loop."),
    _c("KY408", "finally-reads-step", "A `finally:` step reads a main step's output, which may not exist when the pipeline failed."),
    _c("KY409", "status-outside-finally", "`pipeline.status` is only known to steps in `finally:`."),
    _c("KY410", "branch-structure", "Branches out of order (`if:` first, `else:` last), or branch outputs that are not declared by every branch or lack an `else:`."),
    _c("KY501", "expression-syntax", "A `${{ }}` expression that does not parse, or is not closed."),
    _c("KY502", "unknown-name", "A name in an expression that is not a param, step output, loop variable or `pipeline.status`."),
    _c("KY503", "type-mismatch", "A value's type does not match where it is used (an input, a comparison, a condition)."),
    _c("KY504", "unsupported-expression", "An expression uses syntax outside the language (filters, calls, arithmetic)."),
    _c("KY505", "unknown-output", "`steps.<id>.outputs.<name>` names an output the step does not have."),
    _c("KY506", "unknown-param", "`params.<name>` names no param."),
    _c("KY507", "artifact-in-text", "An artifact is used inside text or a condition, where only values can be."),
    _c("KY508", "env-expression", "An `env:` value is an expression; KFP sets environment variables from literals only."),
    _c("KY900", "internal-error", "kfyaml itself failed on this file. Nothing was written; please report the file."),
]}


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
        return f"{self.file}:{self.line}:{self.col}: {self.severity.value}: {self.message} [{self.code}]"

    def to_json(self) -> dict:
        return {
            "file": self.file, "line": self.line, "column": self.col,
            "severity": self.severity.value, "code": self.code, "message": self.message,
        }


def make(file: str, line: int, col: int, code: str, message: str) -> Diagnostic:
    """Build a diagnostic whose severity comes from the code registry."""
    return Diagnostic(file, line, col, code, message, CODES[code].severity)


def sort_unique(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(diags))


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diags)


def render(diag: Diagnostic, source_lines: list[str] | None) -> str:
    """The diagnostic line, then the source line with a caret under the column."""
    out = diag.format()
    if source_lines and 1 <= diag.line <= len(source_lines):
        text = source_lines[diag.line - 1].rstrip("\n")
        if len(text) <= 400:
            caret_pad = "".join("\t" if ch == "\t" else " " for ch in text[: diag.col - 1])
            out += f"\n  {diag.line} | {text}\n  {' ' * len(str(diag.line))} | {caret_pad}^"
    return out


def suggest(word: str, candidates: Iterable[str]) -> str:
    """A ` (did you mean "x"?)` suffix, or nothing when no candidate is close."""
    import difflib

    match = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return f'; did you mean "{match[0]}"?' if match else ""
