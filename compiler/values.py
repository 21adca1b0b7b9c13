"""Literal values and their types, as the user wrote them in YAML.

Resolve checks defaults with these, the types pass checks `with:` literals
and constants in expressions, and lowering types constants for CEL: one
rule for "what type is this YAML value" and one way to show a value back in
a message.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .model import ANY, Type


def value_ok(value: Any, t: Type) -> bool:
    """Whether a literal YAML value has type `t`."""
    if t.name == "any":
        return True
    if t.is_artifact:  # an artifact param's value is its URI
        return isinstance(value, str)
    if t.name == "string":
        return isinstance(value, str)
    if t.name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if t.name == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if t.name == "bool":
        return isinstance(value, bool)
    if t.name == "list":
        return isinstance(value, list)
    if t.name == "dict":
        return isinstance(value, dict)
    return False


def literal_type(value: Any) -> Type:
    """The type of a YAML value; a list knows its element type when all elements share one."""
    if isinstance(value, bool):
        return Type("bool")
    if isinstance(value, int):
        return Type("int")
    if isinstance(value, float):
        return Type("float")
    if isinstance(value, str):
        return Type("string")
    if isinstance(value, dict):
        return Type("dict")
    if isinstance(value, list):
        items = {literal_type(v) for v in value}
        if items == {Type("int"), Type("float")}:
            items = {Type("float")}
        return Type("list", items.pop() if len(items) == 1 else None)
    return ANY


def element_type(t: Type) -> Type:
    """What a loop over a value of type `t` binds its variable to."""
    return t.item if t.name == "list" and t.item is not None else ANY


def dict_fields(items: list) -> tuple[tuple[str, Type], ...]:
    """Field types of a literal list of dicts that all have the same keys."""
    if not items or not all(isinstance(i, dict) for i in items) or len({tuple(sorted(i)) for i in items}) != 1:
        return ()
    return tuple((key, element_type(literal_type([i[key] for i in items]))) for key in items[0])


def scalar_text(value: Any) -> str:
    """A YAML scalar as the text a container sees (`true`, not `True`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def show(value: Any) -> str:
    """A value as the user would write it in YAML/JSON: true, "ten", 1.5."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def a(t: Any) -> str:
    """`a dataset`, `an int`: a type (or anything) with its article, for messages."""
    text = str(t)
    return f"an {text}" if text[:1] in tuple("aeiou") else f"a {text}"
