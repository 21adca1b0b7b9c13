"""The fast paths give exactly what the slow, standard ones give.

- `compiler/schema_check.py` (generated from the schema at build time) accepts
  exactly the documents `jsonschema` accepts;
- `compiler/emit.py` writes exactly the bytes `yaml.dump` writes.
"""

from __future__ import annotations

import copy

import jsonschema
import yaml
from conftest import EXAMPLES, FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from kfyaml.compiler.emit import dump
from kfyaml.compiler.load import load_file
from kfyaml.compiler.schema_check import valid
from kfyaml.schemas import pipeline_schema
from tools.build_schema_check import TARGET, generate

VALIDATOR = jsonschema.Draft202012Validator(pipeline_schema())
DOCUMENTS = [p for p in sorted(EXAMPLES.rglob("*.yaml")) + sorted((FIXTURES / "ok").glob("*.yaml"))
             + sorted((FIXTURES / "err").glob("*.yaml"))]


def _loaded(path):
    loaded = load_file(str(path))
    return loaded.document.data if loaded.document is not None else None


def test_generated_check_is_current():
    assert TARGET.read_text(encoding="utf-8") == generate(), "run `python tools/build_schema_check.py`"


def test_agrees_with_jsonschema_on_every_example_and_fixture():
    checked = 0
    for path in DOCUMENTS:
        data = _loaded(path)
        if data is None or not isinstance(data, dict) or "pipelineInfo" in data:
            continue
        assert valid(data) == VALIDATOR.is_valid(data), path.name
        checked += 1
    assert checked > 60


def _mutations(data):
    """Documents one edit away from a valid one: a key removed, added, or a value's type changed."""
    def walk(node, path):
        if isinstance(node, dict):
            for key in list(node):
                yield path + (key,)
                yield from walk(node[key], path + (key,))
        elif isinstance(node, list):
            for i, item in enumerate(node):
                yield path + (i,)
                yield from walk(item, path + (i,))

    for path in walk(data, ()):
        for replacement in ("text", 3, 2.5, True, None, [], {}, {"zz": 1}, "${{ params.x }}", -1, [1, "a"]):
            doc = copy.deepcopy(data)
            parent = doc
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = replacement
            yield doc
        doc = copy.deepcopy(data)
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(parent, dict):
            del parent[path[-1]]
            parent["unknown_key"] = 1
            yield doc


def test_agrees_with_jsonschema_one_edit_away_from_the_examples():
    compared = 0
    for path in sorted(p for p in EXAMPLES.glob("*.yaml") if not p.name.endswith(".test.yaml")):
        data = _loaded(path)
        for doc in _mutations(data):
            assert valid(doc) == VALIDATOR.is_valid(doc), (path.name, doc)
            compared += 1
    assert compared > 1000


scalars = st.one_of(st.text(max_size=40), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                    st.booleans(), st.none(),
                    st.sampled_from(["yes", "null", "1.5", "", " a", "a: b", "- x", "#c", "{x}", "*a", "&b", "'q'",
                                     "multi\nline\n", "tab\there", "~", "0o17", "1e3", "2026-11-27", "=", "<<"]))
documents = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=6), st.dictionaries(st.text(max_size=12), children, max_size=6)), max_leaves=60)


@settings(max_examples=400, deadline=None)
@given(documents)
def test_emit_writes_what_yaml_dump_writes(data):
    document = {"root": data}
    expected = yaml.dump(document, Dumper=yaml.CSafeDumper, sort_keys=True, default_flow_style=None,
                         allow_unicode=True, width=120)
    assert dump(document) == expected


def test_emit_of_shared_objects_falls_back_to_anchors():
    shared = {"a": 1}
    document = {"x": shared, "y": shared}
    assert dump(document) == yaml.dump(document, Dumper=yaml.CSafeDumper, sort_keys=True, default_flow_style=None,
                                       allow_unicode=True, width=120)
    assert "&id001" in dump(document)
