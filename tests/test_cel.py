"""Every lowered condition parses with a real CEL implementation (cel-python)
and gives the intended truth value over a table of inputs.

The inputs reach CEL the way KFP's driver delivers them: protobuf Values, in
which every number is a double. The oracle is Python evaluating the same
expression text on the same values (test code on test text, never user input).
"""

from __future__ import annotations

import itertools

import celpy
import pytest

from kfyaml.compiler import api
from kfyaml.compiler.cel import quote

PARAMS = {
    "n": ("int", [0, 2, 3, 10]),
    "x": ("float", [0.0, 0.5, 2.5, 3.0]),
    "s": ("string", ["", "a", "it's", 'q"\\\n']),
    "flag": ("bool", [True, False]),
    "items": ("list", [[], [1, 2], ["a", "b"]]),
}

CONDITIONS = [
    "params.n > 2",
    "params.n == 3",
    "params.n >= 2.5",
    "params.x > 2",
    "params.x == 3",
    "params.n < params.x",
    "params.x <= params.n",
    "params.flag",
    "not params.flag",
    "params.flag == true",
    "params.flag != false",
    "params.s == 'it\\'s'",
    "params.s == \"q\\\"\\\\\\n\"",
    "params.s != ''",
    "params.s in ['a', 'b']",
    "'a' in params.s",
    "params.n in [2, 3]",
    "params.x in [0.5, 3]",
    "2 in params.items",
    "'a' in params.items",
    "params.n not in [1, 2]",
    "params.n > 2 and params.flag",
    "params.n > 2 or params.flag and params.x > 1",
    "(params.n > 2 or params.flag) and params.x > 1",
    "not (params.n > 2 and params.s == 'a')",
    "params.n > 0 and params.n < 5 and not params.flag",
    "0 < params.n < 5",
    "params.s == 'a' or params.s == 'it\\'s' or params.n == 10",
]


def _pipeline(condition: str) -> str:
    params = "".join(f"  {name}: {kind}\n" for name, (kind, _) in PARAMS.items())
    return (f"name: cel\nparams:\n{params}steps:\n  gated:\n    if: \"${{{{ {_yaml_escape(condition)} }}}}\"\n"
            "    image: alpine\n")


def _yaml_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _lowered(condition: str) -> tuple[str, dict]:
    result = api.compile_bytes(_pipeline(condition).encode(), "cel.yaml")
    assert [d for d in result.diagnostics if d.code != "KY405"] == [], [d.format() for d in result.diagnostics]
    task = result.pipeline_spec["root"]["dag"]["tasks"]["condition-1"]
    channels = {name: binding["componentInputParameter"] for name, binding in task["inputs"]["parameters"].items()}
    return task["triggerPolicy"]["condition"], channels


def _as_protobuf_value(value):
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [_as_protobuf_value(v) for v in value]
    return value


def _mixed_membership(condition: str, values: dict) -> bool:
    """`'a' in [1, 2]`: CEL has no string/double overload and fails at run time, as KFP would."""
    if "params.items" not in condition or not values["items"]:
        return False
    needle_is_text = condition.lstrip().startswith("'")
    return needle_is_text != isinstance(values["items"][0], str)


def _oracle(condition: str, values: dict):
    class Params:
        pass

    params = Params()
    for name, value in values.items():
        setattr(params, name, value)
    text = condition.replace("true", "True").replace("false", "False")
    try:
        return bool(eval(text, {"params": params}))  # noqa: S307 - test text only
    except TypeError:
        return None  # Python refuses ('a' in [1, 2] is fine, 2 in 'ab' is not): no verdict


@pytest.mark.parametrize("condition", CONDITIONS)
def test_condition_evaluates_as_written(condition):
    cel, channels = _lowered(condition)
    env = celpy.Environment()
    program = env.program(env.compile(cel))
    names = list(PARAMS)
    checked = 0
    for combo in itertools.product(*(PARAMS[n][1] for n in names)):
        values = dict(zip(names, combo, strict=False))
        expected = _oracle(condition, values)
        if expected is None or _mixed_membership(condition, values):
            continue
        parameter_values = {c: _as_protobuf_value(values[p]) for c, p in channels.items()}
        activation = {"inputs": celpy.json_to_cel({"parameter_values": parameter_values})}
        got = program.evaluate(activation)
        assert bool(got) is expected, f"{condition!r} -> {cel!r} on {values}: CEL {got}, Python {expected}"
        checked += 1
    assert checked > 0


def test_kfp_bug_inverted_bool_cast_is_absent():
    """KFP compiles `flag == 1`-style bool tests wrongly; ours says what it means."""
    cel, _ = _lowered("params.flag == true")
    assert cel == "inputs.parameter_values['pipelinechannel--flag'] == true"


def test_numeric_casts_follow_kfp():
    assert _lowered("params.n > 2")[0] == "int(inputs.parameter_values['pipelinechannel--n']) > 2"
    assert _lowered("params.n > params.x")[0] == (
        "double(int(inputs.parameter_values['pipelinechannel--n'])) > inputs.parameter_values['pipelinechannel--x']")
    assert _lowered("params.x == 3")[0] == "inputs.parameter_values['pipelinechannel--x'] == 3.0"


def test_string_literal_is_escaped():
    assert _lowered("params.s == 'it\\'s'")[0] == "inputs.parameter_values['pipelinechannel--s'] == 'it\\'s'"


@pytest.mark.parametrize("text", ["", "it's", "back\\slash", "new\nline", "tab\t", "bell\x07", "ünï ☃", "'\"'"])
def test_quote_round_trips_through_cel(text):
    env = celpy.Environment()
    assert env.program(env.compile(quote(text))).evaluate({}) == text
