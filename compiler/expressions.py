"""`${{ }}` expressions: found in strings, parsed by Jinja2, never rendered.

Jinja2's parser gives the language Python's expression grammar (literals,
comparisons, and/or/not/in, parentheses) with a well-tested tokenizer. Its
tree is walked into the small AST in `model` and anything else (filters,
calls, arithmetic, attribute access on literals) is refused, so user text is
only ever data: nothing here can execute or render it.
"""

from __future__ import annotations

import functools
import re

from .codes import EXPRESSION_SYNTAX, UNSUPPORTED_EXPRESSION, Code
from .diagnostics import Diagnostic, make
from .load import Document, Path
from .model import BoolOp, Compare, Const, Expr, ListLit, Not, Ref, Template

OPEN, CLOSE = "${{", "}}"
# A plain dotted name, the commonest expression by far, takes a fast path that
# builds the same tree Jinja2 would (tests/test_expressions.py checks that).
_DOTTED = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*$")
_KEYWORDS = {"and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False", "None"}
_ROOTS = {"params", "steps", "pipeline", "task", "inputs", "outputs", "matrix"}
_OPS = {"eq": "==", "ne": "!=", "lt": "<", "lteq": "<=", "gt": ">", "gteq": ">=", "in": "in", "notin": "not in"}


class ExprError(Exception):
    def __init__(self, code: Code, message: str, offset: int = 0):
        super().__init__(message)
        self.code = code
        self.message = message
        self.offset = offset


@functools.lru_cache(maxsize=1)
def _environment():
    import jinja2

    return jinja2.Environment(autoescape=False)


def has_expression(text: str) -> bool:
    return OPEN in text


def split(text: str) -> list[tuple[int, str | None, str]]:
    """Cut a string into (offset, None, text) and (offset, source, "") pieces.

    The closing `}}` is the first one outside a quoted string literal.
    """
    pieces: list[tuple[int, str | None, str]] = []
    pos = 0
    while True:
        start = text.find(OPEN, pos)
        if start == -1:
            if pos < len(text):
                pieces.append((pos, None, text[pos:]))
            return pieces
        if start > pos:
            pieces.append((pos, None, text[pos:start]))
        i, quote = start + len(OPEN), None
        while i < len(text):
            ch = text[i]
            if quote:
                if ch == "\\":
                    i += 1
                elif ch == quote:
                    quote = None
            elif ch in "'\"":
                quote = ch
            elif text.startswith(CLOSE, i):
                break
            i += 1
        else:
            raise ExprError(EXPRESSION_SYNTAX, "this `${{` is never closed; end the expression with `}}`", start)
        pieces.append((start, text[start + len(OPEN):i], ""))
        pos = i + len(CLOSE)


MAX_LENGTH = 2000   # characters between `${{` and `}}`
MAX_NESTING = 32    # parentheses and list brackets inside one another
MAX_OPERATORS = 64  # and, or, not, comparisons, in one expression


def _within_limits(source: str, offset: int) -> None:
    """Reject expressions beyond what any condition needs before parsing them: parsing, checking and
    lowering are recursive, and a 1,000-term `or` or 70 nested parentheses must be a located error,
    not a crash."""
    if len(source) > MAX_LENGTH:
        raise ExprError(UNSUPPORTED_EXPRESSION, f"the expression is {len(source):,} characters long; the limit is "
                                                f"{MAX_LENGTH:,}: compute the value in a step instead", offset)
    depth = deepest = 0
    quote = None
    words = []
    word = []
    for i, ch in enumerate(source):
        if quote:
            if ch == "\\":
                continue
            if ch == quote and source[i - 1] != "\\":
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]":
            depth -= 1
        if ch.isalpha():
            word.append(ch)
        elif word:
            words.append("".join(word))
            word = []
    if word:
        words.append("".join(word))
    if deepest > MAX_NESTING:
        raise ExprError(UNSUPPORTED_EXPRESSION, f"the expression nests {deepest} levels deep; the limit is {MAX_NESTING}",
                        offset)
    operators = sum(w in ("and", "or", "not", "in") for w in words) + sum(source.count(op) for op in ("==", "!=", "<", ">"))
    if operators > MAX_OPERATORS:
        raise ExprError(UNSUPPORTED_EXPRESSION, f"the expression has {operators} operators; the limit is "
                                                f"{MAX_OPERATORS}: compute the value in a step instead", offset)


def parse_expr(source: str, offset: int = 0) -> Expr:
    _within_limits(source, offset)
    match = _DOTTED.match(source)
    if match and not _KEYWORDS.intersection(match.group(1).split(".")):
        return _dotted(match.group(1).split("."), source.strip(), offset)
    return parse_with_jinja(source, offset)


def _dotted(names: list[str], source: str, offset: int) -> Ref:
    head, parts = names[0], tuple(names[1:])
    if head in _ROOTS:
        return Ref(head, parts, source)
    if len(parts) > 1:
        raise ExprError(UNSUPPORTED_EXPRESSION, f"`{source}`: a loop item has one level of fields (`{head}.{parts[0]}`)", offset)
    return Ref("loop", (head,), source, field=parts[0] if parts else None)


def parse_with_jinja(source: str, offset: int = 0) -> Expr:
    import jinja2

    if not source.strip():
        raise ExprError(EXPRESSION_SYNTAX, "the expression is empty; write a name such as `params.x` between `${{` and `}}`", offset)
    try:
        tree = _environment().parse("{{ " + source + " }}")
    except jinja2.TemplateSyntaxError as exc:
        message = exc.message or "syntax error"
        if "end of print statement" in message:
            message = "it ends too early" if "unexpected" in message else "something follows the end of the expression"
        raise ExprError(EXPRESSION_SYNTAX, f"invalid expression `{source.strip()}`: {message}", offset) from None
    body = tree.body
    if len(body) != 1 or not isinstance(body[0], jinja2.nodes.Output) or len(body[0].nodes) != 1:
        raise ExprError(EXPRESSION_SYNTAX, f"invalid expression `{source.strip()}`", offset)
    return _convert(body[0].nodes[0], source.strip(), offset)


def _convert(node, source: str, offset: int) -> Expr:
    from jinja2 import nodes as n

    if isinstance(node, n.Const):
        return Const(node.value)
    if isinstance(node, (n.List, n.Tuple)):
        return ListLit(tuple(_convert(i, source, offset) for i in node.items))
    if isinstance(node, n.Neg) and isinstance(node.node, n.Const) and isinstance(node.node.value, (int, float)) \
            and not isinstance(node.node.value, bool):
        return Const(-node.node.value)
    if isinstance(node, n.Not):
        return Not(_convert(node.node, source, offset))
    if isinstance(node, (n.And, n.Or)):
        op = "and" if isinstance(node, n.And) else "or"
        items: list[Expr] = []
        for side in (node.left, node.right):
            converted = _convert(side, source, offset)
            items.extend(converted.items if isinstance(converted, BoolOp) and converted.op == op else [converted])
        return BoolOp(op, tuple(items))
    if isinstance(node, n.Compare):
        left = _convert(node.expr, source, offset)
        pairs: list[Expr] = []
        for operand in node.ops:
            right = _convert(operand.expr, source, offset)
            if operand.op == "notin":
                pairs.append(Not(Compare("in", left, right)))
            else:
                pairs.append(Compare(_OPS[operand.op], left, right))
            left = right
        return pairs[0] if len(pairs) == 1 else BoolOp("and", tuple(pairs))
    if isinstance(node, (n.Name, n.Getattr, n.Getitem)):
        return _reference(node, source, offset)
    what = {"Filter": "filters (`|`)", "Call": "function calls", "Test": "`is` tests", "CondExpr": "inline if/else",
            "Concat": "`~` concatenation", "Dict": "dict literals"}.get(type(node).__name__)
    if what is None and isinstance(node, (n.BinExpr, n.UnaryExpr)):
        what = "arithmetic"
    raise ExprError(UNSUPPORTED_EXPRESSION, f"{what or type(node).__name__} not supported in `{source}`; "
                             "expressions may use names, literals, comparisons, and, or, not, in", offset)


def _reference(node, source: str, offset: int) -> Ref:
    from jinja2 import nodes as n

    parts: list[str] = []
    while isinstance(node, (n.Getattr, n.Getitem)):
        if isinstance(node, n.Getattr):
            parts.append(node.attr)
        elif isinstance(node.arg, n.Const) and isinstance(node.arg.value, str):
            parts.append(node.arg.value)
        else:
            raise ExprError(UNSUPPORTED_EXPRESSION, f"only `name.field` or `name['field']` may follow a name in `{source}`", offset)
        node = node.node
    if not isinstance(node, n.Name):
        raise ExprError(UNSUPPORTED_EXPRESSION, f"unsupported expression `{source}`", offset)
    parts.reverse()
    text = ".".join([node.name] + parts)
    if node.name in _ROOTS:
        return Ref(node.name, tuple(parts), text)
    # Anything else is a loop variable (`item`, or its `as:` name) with an optional field.
    if len(parts) > 1:
        raise ExprError(UNSUPPORTED_EXPRESSION, f"`{text}`: a loop item has one level of fields (`{node.name}.{parts[0]}`)", offset)
    return Ref("loop", (node.name,), text, field=parts[0] if parts else None)


def parse_template(text: str, path: Path) -> Template:
    parts: list[str | Expr] = []
    offsets: list[int] = []
    for offset, source, plain in split(text):
        if source is None:
            parts.append(plain)
        else:
            parts.append(parse_expr(source, offset))
            offsets.append(offset)
    return Template(tuple(parts), path, tuple(offsets))


def expression_position(doc: Document, path: Path, offset: int) -> tuple[int, int]:
    """Line and column of the character at `offset` in the string at `path`.

    Exact for plain and single-line quoted scalars, which is how expressions
    are written; for anything else the start of the string.
    """
    line, col = doc.locate(path)
    if 1 <= line <= len(doc.lines):
        text = doc.lines[line - 1]
        quote = text[col - 1:col] in ("'", '"')
        start = col - 1 + (1 if quote else 0)
        segment = text[start:]
        value_head = segment[: offset + len(OPEN)]
        if value_head.endswith(OPEN) or offset == 0:
            return line, start + offset + 1
    return line, col


def template_diagnostic(doc: Document, path: Path, err: ExprError) -> Diagnostic:
    line, col = expression_position(doc, path, err.offset)
    return make(doc.file, line, col, err.code, err.message)
