"""How values are written in the IR: as text, as durations, as selected fields.

- `text`: a parameter value placed inside a string (a command line, a
  templated input) is written the way KFP's backend formats protobuf values,
  so a value reads the same whether known at compile time or at run time.
- durations (`retryPolicy.backoffDuration`) are protobuf Durations in their
  JSON form, `"30s"`.
- a field of a struct-typed loop item is read with a CEL
  `parameterExpressionSelector`, `parseJson(string_value)["field"]`.
"""

from __future__ import annotations

import json
import re
from typing import Any


def text(value: Any) -> str:
    """A parameter value as text: numbers in their shortest form (1.0 -> "1"), the rest as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value)


def duration(seconds: float) -> str:
    """A protobuf Duration in JSON form: 30 -> "30s", 0.5 -> "0.5s"."""
    return f"{int(seconds)}s" if float(seconds).is_integer() else f"{seconds}s"


def duration_seconds(text_value: str | float | int) -> float:
    """The seconds of a Duration written by `duration` (or by kfp): "30s" -> 30.0."""
    return float(str(text_value).rstrip("s") or 0)


def field_selector(field: str) -> str:
    return f'parseJson(string_value)["{field}"]'


_SELECTOR = re.compile(r'^parseJson\(string_value\)\["([^"]+)"\]$')


def selected_field(selector: str) -> str | None:
    """The field a `field_selector` selects, or None for any other selector."""
    match = _SELECTOR.match(selector)
    return match.group(1) if match else None
