"""Literal values as the IR holds them in `runtimeValue.constant`."""

from __future__ import annotations

from ..model import Const, Expr, ListLit, Type


def constant(value: object, t: Type) -> object:
    """A literal for an input of type `t`: a float input's `1` is `1.0`."""
    if t.name == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def const_expr(expr: Expr) -> object:
    """The value of an expression made only of literals."""
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, ListLit):
        return [const_expr(i) for i in expr.items]
    raise ValueError("not a constant")
