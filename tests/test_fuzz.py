"""Fuzzing lint and compile: mutated examples and fixtures, and generated pipeline-shaped YAML.

For every input: no exception escapes, no internal error (KY900), and whenever
compile succeeds the IR parses strictly into KFP's `PipelineSpec` (and
`PlatformSpec`). Time-bounded (a fixed number of examples, derandomised, so CI
is reproducible); inputs that once broke something live in
`tests/fuzz_corpus/` and run on every test run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLES, FIXTURES
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kfp.pipeline_spec import pipeline_spec_pb2

from kfyaml.compiler import api
from kfyaml.compiler.codes import INTERNAL_ERROR

CORPUS = Path(__file__).parent / "fuzz_corpus"
SEEDS = sorted(EXAMPLES.glob("*.yaml")) + sorted((FIXTURES / "ok").glob("*.yaml")) + sorted((FIXTURES / "err").glob("*.yaml"))
SEED_TEXTS = [p.read_text(encoding="utf-8", errors="replace") for p in SEEDS]
# Each strategy's examples per run: about 15 s together on 2 cores. KFYAML_FUZZ_EXAMPLES=20000 (and
# KFYAML_FUZZ_RANDOM=1 for fresh inputs each time) searches longer, outside CI.
EXAMPLES_PER_RUN = int(os.environ.get("KFYAML_FUZZ_EXAMPLES", "600"))

# Tokens that have broken parsers, type checks or lowerings somewhere.
NASTY = ["${{ params.x }}", "${{ steps.a.outputs.b }}", "${{ item.x }}", "${{", "}}", "[]", "{}", "null", "~", "-1",
         "0", "1e309", "-1e309", ".nan", "3000000000", "9" * 120, "'", '"', "\t", "&a", "*a", "<<: *a", "!!str",
         "é", "\u2028", "\x00", ": ", "- ", "? ", "%", "@", "`", "|", ">", "#", "${{ not not true }}",
         "${{ (((1))) }}", "${{ 'a' in params.s }}", "../../etc/passwd", "/dev/zero", "stdlib/train_sklearn",
         "components.x", "./nothere.yaml", "python: |\n  def f(): pass", "if:", "for_each:", "matrix:", "needs:"]


def _check(text: str, folder: Path = EXAMPLES) -> None:
    result = api.compile_bytes(text.encode("utf-8", "surrogatepass"), "fuzz.yaml", folder=str(folder))
    internal = [d.format() for d in result.diagnostics if d.code == INTERNAL_ERROR.id]
    assert not internal, internal
    if result.ok:
        docs = list(yaml.safe_load_all(result.ir_text()))
        json_format.ParseDict(docs[0], pipeline_spec_pb2.PipelineSpec(), ignore_unknown_fields=False)
        if len(docs) > 1:
            json_format.ParseDict(docs[1], pipeline_spec_pb2.PlatformSpec(), ignore_unknown_fields=False)


@st.composite
def mutated(draw) -> str:
    lines = draw(st.sampled_from(SEED_TEXTS)).split("\n")
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "token", "indent", "truncate"]))
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "token":
            line = lines[i]
            at = draw(st.integers(0, len(line)))
            cut = draw(st.integers(0, 8))
            lines[i] = line[:at] + draw(st.sampled_from(NASTY)) + line[at + cut:]
        elif kind == "indent":
            lines[i] = " " * draw(st.integers(0, 6)) + lines[i].lstrip()
        else:
            lines = lines[:i]
    return "\n".join(lines)


_KEYS = ["name", "params", "steps", "finally", "outputs", "defaults", "components", "image", "command", "args",
         "inputs", "outputs", "with", "needs", "if", "for_each", "as", "max_parallel", "matrix", "branches", "python",
         "packages", "uses", "importer", "cache", "retry", "resources", "env", "timeout", "kubernetes", "type",
         "default", "optional", "list", "a", "b", "x", "item"]
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=True),
                     st.sampled_from(NASTY), st.text(max_size=12))
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.sampled_from(_KEYS), inner, max_size=5)),
                       max_leaves=30)


@st.composite
def generated(draw) -> str:
    steps = draw(st.dictionaries(st.sampled_from(["a", "b", "c", "train", "deploy"]),
                                 st.dictionaries(st.sampled_from(_KEYS), _values, max_size=6), min_size=1, max_size=4))
    doc = {"name": draw(st.sampled_from(["p", "P q", ""])), "steps": steps}
    for key in draw(st.lists(st.sampled_from(["params", "finally", "outputs", "defaults", "components"]), max_size=3)):
        doc[key] = draw(_values)
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


_SETTINGS = settings(max_examples=EXAMPLES_PER_RUN, deadline=None, database=None,
                     derandomize=not os.environ.get("KFYAML_FUZZ_RANDOM"),
                     suppress_health_check=list(HealthCheck))


@_SETTINGS
@given(mutated())
def test_mutated_examples_and_fixtures_never_crash(text):
    _check(text)


@_SETTINGS
@given(generated())
def test_generated_pipelines_never_crash(text):
    _check(text)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.yaml")), ids=lambda p: p.name)
def test_the_regression_corpus(path):
    _check(path.read_text(encoding="utf-8", errors="replace"), folder=CORPUS)
