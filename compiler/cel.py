"""Conditions to the CEL that KFP's backend evaluates in `triggerPolicy.condition`.

KFP hands a condition task its inputs as protobuf Values, so every number
arrives as a double. The casts follow from that: an int is compared as
`int(x)`, a float as `double(x)`, and when the two meet both sides become
doubles, with int literals written `1.0` (CEL has no int/double overloads).
String literals are escaped here rather than pasted in, which KFP's own
compiler does not do ('it's' breaks its CEL).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .model import BoolOp, Compare, Const, Expr, ListLit, Not, Ref, Type

_PREC = {"or": 1, "and": 2, "not": 4, "cmp": 3, "atom": 5}
_OPS = {"and": "&&", "or": "||"}


def quote(text: str) -> str:
    """A CEL single-quoted string literal for any text."""
    out = ["'"]
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append("'")
    return "".join(out)


class CelLowering:
    """Lowers one condition; `channel` names each Ref's task input, `type_of` types it."""

    def __init__(self, channel: Callable[[Ref], str], type_of: Callable[[Expr], Type]):
        self.channel = channel
        self.type_of = type_of

    def lower(self, expr: Expr) -> str:
        return self._expr(expr)[0]

    def _expr(self, expr: Expr) -> tuple[str, int]:
        if isinstance(expr, BoolOp):
            prec = _PREC[expr.op]
            parts = [self._wrap(self._expr(i), prec + (0 if isinstance(i, BoolOp) and i.op == expr.op else 1))
                     for i in expr.items]
            return f" {_OPS[expr.op]} ".join(parts), prec
        if isinstance(expr, Not):
            return "!" + self._wrap(self._expr(expr.operand), _PREC["atom"]), _PREC["not"]
        if isinstance(expr, Compare):
            return self._compare(expr), _PREC["cmp"]
        return self._value(expr, None), _PREC["atom"]

    @staticmethod
    def _wrap(part: tuple[str, int], min_prec: int) -> str:
        text, prec = part
        return text if prec >= min_prec else f"({text})"

    def _compare(self, expr: Compare) -> str:
        lt, rt = self.type_of(expr.left), self.type_of(expr.right)
        if expr.op == "in":
            if rt.name == "string":
                return f"{self._value(expr.right, 'string')}.contains({self._value(expr.left, 'string')})"
            if isinstance(expr.right, ListLit):
                mode = _numeric_mode(lt.name, rt.item.name if rt.item is not None else "any")
            else:  # a runtime list: its numbers arrive as doubles
                mode = "float" if lt.name in ("int", "float") else None
            return f"{self._value(expr.left, mode)} in {self._value(expr.right, mode)}"
        mode = _numeric_mode(lt.name, rt.name)
        return f"{self._value(expr.left, mode)} {expr.op} {self._value(expr.right, mode)}"

    def _value(self, expr: Expr, mode: str | None) -> str:
        """One operand; `mode` is int or float when it takes part in arithmetic comparison."""
        if isinstance(expr, Const):
            return _literal(expr.value, mode)
        if isinstance(expr, ListLit):
            return "[" + ", ".join(self._value(i, mode) for i in expr.items) + "]"
        if isinstance(expr, Ref):
            ref = f"inputs.parameter_values[{quote(self.channel(expr))}]"
            t = self.type_of(expr).name
            if mode == "int" and t in ("int", "any"):
                return f"int({ref})"
            if mode == "float" and t == "int":
                return f"double(int({ref}))"
            if mode == "float" and t == "any":
                return f"double({ref})"  # a float already arrives as a double
            return ref
        return self._wrap(self._expr(expr), _PREC["atom"])


def _numeric_mode(a: str | None, b: str | None) -> str | None:
    kinds = {a, b} - {"any", None}
    if not kinds or not kinds <= {"int", "float"}:
        return None
    return "float" if "float" in kinds else "int"


def _literal(value, mode: str | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if mode == "float" or isinstance(value, float):
            number = float(value)
            if math.isinf(number):
                return "double('Infinity')" if number > 0 else "double('-Infinity')"
            if math.isnan(number):
                return "double('NaN')"
            text = repr(number)
            return text if ("." in text or "e" in text) else text + ".0"
        return str(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v, mode) for v in value) + "]"
    if value is None:
        return "null"
    raise AssertionError(value)
