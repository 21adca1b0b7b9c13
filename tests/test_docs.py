"""Generated docs are current, and every key of the schema is documented."""

from __future__ import annotations

import json

from conftest import ROOT

from tools.update_checks_doc import DOC, render


def test_checks_doc_is_current():
    assert DOC.read_text(encoding="utf-8") == render(), "docs/checks.md is stale: run `python tools/update_checks_doc.py`"


def _properties(node, path=""):
    if isinstance(node, dict):
        for key, sub in node.get("properties", {}).items():
            yield f"{path}.{key}", sub
            yield from _properties(sub, f"{path}.{key}")
        for key in ("additionalProperties", "items"):
            if isinstance(node.get(key), dict):
                yield from _properties(node[key], path)
        for key in ("anyOf", "oneOf"):
            for sub in node.get(key, []):
                yield from _properties(sub, path)
        for name, sub in node.get("$defs", {}).items():
            yield from _properties(sub, f"$defs.{name}")


def test_every_schema_key_has_a_description():
    schema = json.loads((ROOT / "schemas" / "pipeline.schema.json").read_text())
    missing = [path for path, sub in _properties(schema) if "description" not in sub and "$ref" not in sub]
    assert missing == []


def test_language_reference_mentions_every_step_key():
    schema = json.loads((ROOT / "schemas" / "pipeline.schema.json").read_text())
    reference = (ROOT / "docs" / "language.md").read_text()
    for key in list(schema["properties"]) + list(schema["$defs"]["step"]["properties"]):
        assert f"`{key}" in reference, f"docs/language.md does not document `{key}`"
