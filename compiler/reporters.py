"""Diagnostics in the formats CI systems read: GitHub workflow annotations and SARIF 2.1.0."""

from __future__ import annotations

from . import __version__
from .codes import CODES
from .diagnostics import Diagnostic

TOOL_URI = "https://github.com/kfyaml/kfyaml"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github(diagnostics: list[Diagnostic]) -> str:
    """`::error file=...,line=...,col=...,title=...::message`: annotations on the pull request's lines."""
    lines = []
    for d in diagnostics:
        command = "error" if d.severity.value == "error" else "warning"
        lines.append(f"::{command} file={_escape_property(d.file)},line={d.line},col={d.col},"
                     f"title={_escape_property(d.code + ' ' + CODES[d.code].title)}::{_escape_data(d.message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def sarif(diagnostics: list[Diagnostic]) -> dict:
    """A SARIF 2.1.0 log with one rule per kfyaml code, for code scanning."""
    codes = list(CODES)
    rules = [{
        "id": c.id,
        "name": "".join(part.capitalize() for part in c.title.split("-")),
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": c.description},
        "helpUri": f"{TOOL_URI}/blob/main/docs/checks.md#{c.id.lower()}-{c.title}",
        "defaultConfiguration": {"level": c.severity.value},
    } for c in CODES.values()]
    results = [{
        "ruleId": d.code,
        "ruleIndex": codes.index(d.code),
        "level": d.severity.value,
        "message": {"text": d.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": d.file.replace("\\", "/")},
            "region": {"startLine": d.line, "startColumn": d.col},
        }}],
    } for d in diagnostics]
    return {
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "kfyaml", "version": __version__, "informationUri": TOOL_URI, "rules": rules}},
                  "results": results}],
    }
