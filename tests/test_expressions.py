"""`${{ }}` parsing: Jinja2's grammar, our tree, and the dotted-name fast path."""

from __future__ import annotations

import pytest

from kfyaml.compiler.expressions import ExprError, parse_expr, parse_template, parse_with_jinja, split
from kfyaml.compiler.model import BoolOp, Compare, Const, ListLit, Not, Ref


@pytest.mark.parametrize("text", [
    "params.x", "  params.threshold  ", "steps.train.outputs.model", "item", "item.field", "lr",
    "pipeline.status", "inputs.data", "outputs.model", "cfg.name", "matrix.python",
])
def test_fast_path_builds_the_tree_jinja_builds(text):
    assert parse_expr(text) == parse_with_jinja(text)


@pytest.mark.parametrize("text", ["true", "not x", "params.in", "x.if"])
def test_keywords_never_take_the_fast_path(text):
    try:
        expected = parse_with_jinja(text)
    except ExprError as exc:
        with pytest.raises(ExprError) as got:
            parse_expr(text)
        assert got.value.message == exc.message
    else:
        assert parse_expr(text) == expected


def test_operators_and_precedence():
    expr = parse_expr("params.a > 1 and not params.b or params.c in ['x', 'y']")
    assert expr == BoolOp("or", (
        BoolOp("and", (Compare(">", Ref("params", ("a",), "params.a"), Const(1)),
                       Not(Ref("params", ("b",), "params.b")))),
        Compare("in", Ref("params", ("c",), "params.c"), ListLit((Const("x"), Const("y")))),
    ))


def test_chained_comparison_becomes_and():
    assert parse_expr("0 < params.n < 5") == BoolOp("and", (
        Compare("<", Const(0), Ref("params", ("n",), "params.n")),
        Compare("<", Ref("params", ("n",), "params.n"), Const(5))))


def test_not_in():
    assert parse_expr("x not in [1]") == Not(Compare("in", Ref("loop", ("x",), "x"), ListLit((Const(1),))))


def test_item_with_bracket_field():
    assert parse_expr("item['a b']") == Ref("loop", ("item",), "item.a b", field="a b")


@pytest.mark.parametrize("text, message", [
    ("params.x |upper", "filters (`|`) not supported in `params.x |upper`; expressions may use names, literals, comparisons, and, or, not, in"),
    ("range(3)", "function calls not supported in `range(3)`; expressions may use names, literals, comparisons, and, or, not, in"),
    ("params.x * 2", "arithmetic not supported in `params.x * 2`; expressions may use names, literals, comparisons, and, or, not, in"),
    ("{'a': 1}", "dict literals not supported in `{'a': 1}`; expressions may use names, literals, comparisons, and, or, not, in"),
    ("item.a.b", "`item.a.b`: a loop item has one level of fields (`item.a`)"),
])
def test_refused_syntax(text, message):
    with pytest.raises(ExprError) as err:
        parse_expr(text)
    assert err.value.code.id == "KY504"
    assert err.value.message == message


def test_templates_split_text_and_expressions():
    template = parse_template("gs://${{ params.bucket }}/x/${{ item }}", ("a",))
    assert template.parts == ("gs://", Ref("params", ("bucket",), "params.bucket"), "/x/", Ref("loop", ("item",), "item"))
    assert template.offsets == (5, 28)
    assert template.whole is None


def test_closing_braces_inside_a_string_literal():
    assert split("${{ params.s == '}}' }}!") == [(0, " params.s == '}}' ", ""), (23, None, "!")]


def test_unclosed_expression():
    with pytest.raises(ExprError) as err:
        split("a ${{ params.x")
    assert (err.value.code.id, err.value.offset) == ("KY501", 2)


def test_user_text_is_never_rendered():
    """A Jinja payload is data: it parses to a refusal, nothing runs or renders."""
    with pytest.raises(ExprError) as err:
        parse_expr("cycler.__init__.__globals__.os.popen('id').read()")
    assert err.value.code.id == "KY504"
