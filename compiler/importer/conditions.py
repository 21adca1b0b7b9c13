"""KFP's CEL conditions back into kfyaml `${{ }}` expressions.

The CEL is parsed with cel-python's own parser (the grammar KFP's backend
evaluates), never with regular expressions; each `inputs.parameter_values[...]`
is traced to its source. The casts KFP writes (`int(...)`, `double(...)`)
are dropped: kfyaml writes them again from the types it knows.
Branches (`dsl.If`/`Elif`/`Else`) arrive as `!(c1) && c2`: each branch's own
condition is what follows the negations of the ones before it.
"""

from __future__ import annotations

import re

from .context import Frame, Importer
from .sources import Expr, task_input

_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "atom": 5}
_RELATIONS = {"relation_lt": "<", "relation_le": "<=", "relation_gt": ">", "relation_ge": ">=",
              "relation_eq": "==", "relation_ne": "!=", "relation_in": "in"}
_CASTS = {"int", "double", "string", "bool"}


class Unsupported(Exception):
    pass


def condition(ctx: Importer, frame: Frame, task: dict, cel: str, path: tuple) -> str | None:
    """The kfyaml expression of a condition task's CEL, or None (reported) when it has none."""
    try:
        import celpy

        tree = celpy.Environment().compile(cel)
        return _Convert(ctx, frame, task, path).expr(tree)[0]
    except Unsupported as exc:
        ctx.problems.add(path, f"the condition `{cel}` uses {exc}, which kfyaml expressions do not have")
    except Exception as exc:  # celpy's parse errors have no common base
        ctx.problems.add(path, f"the condition `{cel}` does not parse as CEL: {str(exc).splitlines()[0]}")
    return None


def branch_conditions(conditions: list[str]) -> list[str | None] | None:
    """Each branch's own CEL (None for `else`), from the conditions KFP writes; None when they are
    not in KFP's `!(c1) && ... && ci` form."""
    own: list[str | None] = []
    for i, text in enumerate(conditions):
        rest = text
        for before in own:
            prefix = f"!({before})"
            if not rest.startswith(prefix):
                return None
            rest = rest[len(prefix):]
            rest = rest[4:] if rest.startswith(" && ") else rest
        if rest:
            own.append(rest)
        elif i == len(conditions) - 1 and i > 0:
            own.append(None)
        else:
            return None
    return own


class _Convert:
    def __init__(self, ctx: Importer, frame: Frame, task: dict, path: tuple):
        self.ctx, self.frame, self.task, self.path = ctx, frame, task, path

    def expr(self, node) -> tuple[str, int]:
        rule = node.data
        kids = node.children
        if rule in ("conditionalor", "conditionaland") and len(kids) == 2:
            op = "or" if rule == "conditionalor" else "and"
            return self._binary(kids[0], op, kids[1], _PREC[op])
        if rule == "relation" and len(kids) == 2:
            op_node = kids[0]
            return self._binary(op_node.children[0], _RELATIONS[op_node.data], kids[1], _PREC["cmp"])
        if rule == "unary" and len(kids) == 2 and getattr(kids[0], "data", None) == "unary_not":
            inner, prec = self.expr(kids[1])
            return f"not {inner if prec >= _PREC['not'] else f'({inner})'}", _PREC["not"]
        if rule in ("expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication",
                    "unary", "member", "primary") and len(kids) == 1 and hasattr(kids[0], "data"):
            return self.expr(kids[0])
        if rule == "primary" and len(kids) == 1:
            raise Unsupported(f"the name `{kids[0]}`")
        if rule == "paren_expr":
            return self.expr(kids[0])
        if rule == "literal":
            return _literal(str(kids[0])), _PREC["atom"]
        if rule == "ident_arg" and str(kids[0]) in _CASTS:
            args = kids[1].children if len(kids) > 1 else []
            if len(args) != 1:
                raise Unsupported(f"`{kids[0]}()` with {len(args)} arguments")
            return self.expr(args[0])
        if rule == "member_index":
            return self._index(kids[0], kids[1])
        if rule == "member_dot_arg" and str(kids[1]) == "contains":
            args = kids[2].children if len(kids) > 2 else []
            if len(args) != 1:
                raise Unsupported("`contains()` with other than one argument")
            return self._binary(args[0], "in", kids[0], _PREC["cmp"])
        if rule in ("member_dot_arg", "ident_arg"):
            raise Unsupported(f"the function `{kids[1] if rule == 'member_dot_arg' else kids[0]}`")
        if rule == "list_lit":
            items = [self.expr(item)[0] for item in (kids[0].children if kids else [])]
            return f"[{', '.join(items)}]", _PREC["atom"]
        if rule == "map_lit":
            raise Unsupported("a map literal")
        raise Unsupported(f"the form `{rule}`")

    def _binary(self, left, op: str, right, prec: int) -> tuple[str, int]:
        (a, pa), (b, pb) = self.expr(left), self.expr(right)
        a = a if pa >= prec else f"({a})"
        b = b if pb > prec or (pb == prec and op in ("and", "or")) else f"({b})"
        return f"{a} {op} {b}", prec

    def _index(self, obj, index) -> tuple[str, int]:
        key = _string_literal(index)
        if _is_parameter_values(obj) and key is not None:
            value = task_input(self.ctx, self.frame, self.task, key, self.path)
            if not isinstance(value, Expr):
                raise Unsupported(f"the input `{key}`, which holds a constant")
            return value.text, _PREC["atom"]
        inner, _ = self.expr(obj)
        if key is not None and re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
            return f"{inner}.{key}", _PREC["atom"]
        raise Unsupported("an index that is not a field name")


def _is_parameter_values(node) -> bool:
    """`inputs.parameter_values`, the map KFP's backend evaluates conditions over."""
    while getattr(node, "data", None) in ("member",) and len(node.children) == 1:
        node = node.children[0]
    if getattr(node, "data", None) != "member_dot" or str(node.children[1]) != "parameter_values":
        return False
    return "inputs" in str(node.children[0])


def _string_literal(node) -> str | None:
    while hasattr(node, "data") and len(node.children) == 1:
        node = node.children[0]
    text = str(node)
    if getattr(node, "type", None) in (None,) or not text or text[0] not in "'\"":
        return None
    return _unescape(text)


def _literal(token: str) -> str:
    if token in ("true", "false"):
        return token
    if token[0] in "'\"" or token[:2] in ("r'", 'r"', "b'", 'b"'):
        if token[0] not in "'\"" or token.startswith(("'''", '"""')):
            raise Unsupported(f"the literal {token}")
        text = _unescape(token)
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if token.endswith(("u", "U")) or token == "null":
        raise Unsupported(f"the literal {token}")
    return token


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unescape(token: str) -> str:
    body = token[1:-1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt in "uU":
                width = 4 if nxt == "u" else 8
                out.append(chr(int(body[i + 2:i + 2 + width], 16)))
                i += 2 + width
                continue
        out.append(ch)
        i += 1
    return "".join(out)
