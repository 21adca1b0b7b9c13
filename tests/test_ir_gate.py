"""No `${{ }}` written in a pipeline reaches the IR as text (issue 18).

The gate (compiler/ir_gate.py) is proven able to fail: a lowering that
forgets an expression is caught and reported at the expression's place. The
property test puts expressions at random depths of random values, in every
kind of field, and asserts each is either wired (a task input per value, the
consumer waiting for its producer, no `${{` left in the IR) or reported at a
line of the file, never an internal error.
"""

from __future__ import annotations

import json
import os

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kfyaml.compiler import api, lower
from kfyaml.compiler.codes import INTERNAL_ERROR
from kfyaml.compiler.diagnostics import Severity

PIPELINE = """\
name: p
params:
  n: {type: int, default: 3}
  s: {type: string, default: x}
steps:
  a:
    image: alpine
    command: [make, "${{ inputs.n }}", "${{ outputs.x }}", "${{ outputs.y }}"]
    inputs: {n: int}
    outputs: {x: float, y: string}
    with: {n: "${{ params.n }}"}
  b:
    image: alpine
    command: [use, "${{ inputs.v }}"]
    inputs: {v: list}
    with:
      v: [1, {k: "${{ params.s }}"}]
"""


def test_an_expression_a_lowering_leaves_as_text_is_an_internal_error_at_its_place(monkeypatch):
    real = lower.lower

    def forgetful(pipeline, refs, deps, nested=False):
        spec, platform = real(pipeline, refs, deps, nested)
        spec["root"]["dag"]["tasks"]["b"]["inputs"]["parameters"]["v"]["runtimeValue"]["constant"] = \
            [1, {"k": "${{ params.s }}"}]  # what a lowering that copied the YAML would write
        return spec, platform

    monkeypatch.setattr(lower, "lower", forgetful)
    result = api.compile_bytes(PIPELINE.encode(), "p.yaml")
    assert result.pipeline_spec is None
    assert [d.format() for d in result.diagnostics] == [
        "p.yaml:17:18: error: internal error: the expression `${{ params.s }}` would reach the IR as text (at "
        "PipelineSpec.root.dag.tasks.b.inputs.parameters.v.runtimeValue.constant[1].k) instead of being filled in "
        "when the step runs; nothing was written. Please report this file to the kfyaml maintainers [KY900]"]


def test_text_that_is_not_the_files_expression_passes(tmp_path):
    """A Python step's code may quote `${{ }}` (so do the standard library's docstrings)."""
    text = PIPELINE + '''\
  c:
    python: |
      def c() -> str:
          """Reads `${{ params.s }}` in its docstring."""
          return "${{ not an expression }}"
'''
    result = api.compile_bytes(text.encode(), "p.yaml")
    assert result.ok, [d.format() for d in result.diagnostics]
    program = result.pipeline_spec["deploymentSpec"]["executors"]["exec-c"]["container"]["command"][-1]
    assert 'return "${{ not an expression }}"' in program


# ---- the property: at any depth, in any field, wired or reported ---------------------------------

VALID = {  # expression -> the channel input it must become on the consumer, and the task it must wait for
    "${{ params.n }}": ("pipelinechannel--n", None),
    "${{ params.s }}": ("pipelinechannel--s", None),
    "${{ steps.a.outputs.x }}": ("pipelinechannel--a--x", "a"),
    "pre-${{ steps.a.outputs.y }}-post": ("pipelinechannel--a--y", "a"),
}
INVALID = ["${{ params.nope }}", "${{ steps.a.outputs.nope }}", "${{ steps.zz.outputs.x }}", "${{ params.n > 1 }}",
           "${{ params.l }}", "${{ unknown.thing }}", "${{ steps.a.outputs.x", "${{ params.n | upper }}"]
LITERALS = st.one_of(st.integers(-5, 5), st.booleans(), st.sampled_from(["", "plain", "a b", "}}", "{{", "$"]))
_VALID = st.sampled_from(sorted(VALID))
LEAF = st.one_of(LITERALS, _VALID, _VALID, _VALID, st.sampled_from(INVALID))  # valid ones three times as often
PLAIN_KEYS = st.sampled_from(["k", "name", "deep"])
KEYS = st.one_of(PLAIN_KEYS, PLAIN_KEYS, st.just("${{ params.s }}"))


def _nested(leaf, keys):
    return st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(keys, inner, max_size=3)), max_leaves=8)


VALUES = _nested(LEAF, KEYS)
VALID_VALUES = _nested(st.one_of(LITERALS, _VALID), PLAIN_KEYS)

# Where the value goes: each is a field a user may write; `with` takes it as an input of the step.
PLACES = ["with_list", "with_dict", "with_any", "with_list", "with_dict", "env", "display_name", "toleration", "node_selector", "param_default",
          "for_each", "matrix", "retry", "cache_key"]


def _pipeline(place: str, value) -> str:
    doc = yaml.safe_load(PIPELINE)
    b = doc["steps"]["b"]
    if place.startswith("with_"):
        wrapped = [value] if place == "with_list" else {"k": value} if place == "with_dict" else value
        b["inputs"]["v"] = {"with_list": "list", "with_dict": "dict", "with_any": "string"}[place]
        b["with"]["v"] = wrapped
    elif place == "env":
        b["env"] = {"V": value}
    elif place == "display_name":
        b["display_name"] = value
    elif place == "toleration":
        b["kubernetes"] = {"tolerations": [{"key": value, "operator": "Exists"}]}
    elif place == "node_selector":
        b["kubernetes"] = {"node_selector": {"pool": value}}
    elif place == "param_default":
        doc["params"]["d"] = {"type": "list", "default": [value]}
    elif place == "for_each":
        b["for_each"] = [value, 1]
    elif place == "matrix":
        b["matrix"] = {"axis": [value]}
    elif place == "retry":
        b["retry"] = {"max": value}
    elif place == "cache_key":
        b["cache"] = {"key": value}
    return json.dumps(doc)  # JSON is YAML: every string quoted, so `${{` is never YAML syntax


def _expressions(value) -> list[str]:
    if isinstance(value, str):
        return [value] if "${{" in value else []
    if isinstance(value, list):
        return [e for v in value for e in _expressions(v)]
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in _expressions(k) + _expressions(v)]
    return []


def _task(spec: dict, name: str) -> dict:
    """Task `name` wherever it is (a loop puts it in a DAG of its own)."""
    for component in [spec["root"]] + list(spec["components"].values()):
        task = component.get("dag", {}).get("tasks", {}).get(name)
        if task is not None:
            return task
    raise AssertionError(name)


_SETTINGS = settings(max_examples=int(os.environ.get("KFYAML_FUZZ_EXAMPLES", "400")), deadline=None, database=None,
                     derandomize=not os.environ.get("KFYAML_FUZZ_RANDOM"), suppress_health_check=list(HealthCheck))


@_SETTINGS
@given(place=st.sampled_from(["with_list", "with_dict"]), value=VALID_VALUES)
def test_valid_references_at_any_depth_compile_and_are_wired(place, value):
    result = api.compile_bytes(_pipeline(place, value).encode(), "p.yaml")
    assert result.ok, [d.format() for d in result.diagnostics]
    _assert_wired(result, place, _expressions(value))


@_SETTINGS
@given(place=st.sampled_from(PLACES), value=VALUES)
def test_every_expression_is_wired_or_reported(place, value):
    result = api.compile_bytes(_pipeline(place, value).encode(), "p.yaml")
    assert not [d for d in result.diagnostics if d.code == INTERNAL_ERROR.id], [d.format() for d in result.diagnostics]
    exprs = _expressions(value)
    if not result.ok:
        errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        assert errors and all(d.line >= 1 and d.col >= 1 for d in errors)
        return
    assert not any(e not in VALID for e in exprs), f"{exprs} compiled"
    _assert_wired(result, place, exprs)


def _assert_wired(result, place: str, exprs: list[str]) -> None:
    ir = result.ir_text()
    assert "${{" not in ir, ir
    if exprs:  # only `with:` evaluates expressions inside values: each one wired into task b
        assert place.startswith("with_"), f"{place} compiled {exprs}"
        task = _task(result.pipeline_spec, "b")
        for e in exprs:
            channel, producer = VALID[e]
            assert channel in task["inputs"]["parameters"], (e, task)
            if producer:
                assert producer in task.get("dependentTasks", []), (e, task)
