"""No `${{ }}` reaches the IR as text: in every field of a step, it is evaluated or reported where it stands."""

from __future__ import annotations

import copy

import pytest

from kfyaml.compiler import api

BASE = {
    "name": "fields",
    "params": {"p": {"type": "string", "default": "v"}, "n": {"type": "int", "default": 1}},
    "steps": {
        "first": {"image": "alpine", "command": ["sh", "-c", 'echo 1 > "$0"', "${{ outputs.o }}"],
                  "outputs": {"o": "string"}},
        "s": {
            "image": "alpine", "command": ["echo", "${{ inputs.x }}"], "inputs": {"x": "string"},
            "with": {"x": "a"}, "display_name": "s", "needs": ["first"],
            "retry": {"max": 1, "backoff": "1s"}, "timeout": "1m", "cache": {"key": "k"},
            "resources": {"cpu": "1", "memory": "1Gi"},
            "kubernetes": {
                "node_selector": {"zone": "z"}, "image_pull_policy": "Always", "image_pull_secrets": ["s"],
                "tolerations": [{"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule"}],
                "secrets": [{"name": "sec", "env": {"A": "a"}, "mount": "/m"}],
                "config_maps": [{"name": "cm", "env": {"B": "b"}}],
                "volumes": [{"claim": "pvc", "mount": "/data"}], "shm_size": "1Gi",
            },
        },
    },
}


def _string_leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _string_leaves(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _string_leaves(value, path + (i,))
    elif isinstance(node, str) and "${{" not in node and path[:2] == ("steps", "s"):
        yield path


LEAVES = list(_string_leaves(BASE))


@pytest.mark.parametrize("path", LEAVES, ids=lambda p: ".".join(map(str, p[2:])))
def test_an_expression_in_any_field_is_evaluated_or_reported(path):
    doc = copy.deepcopy(BASE)
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = "x-${{ params.p }}" if path[-1] not in ("image",) else "${{ params.p }}"
    import yaml

    result = api.compile_bytes(yaml.safe_dump(doc).encode(), "p.yaml")
    if result.ok:
        assert "${{" not in result.ir_text(), path
    else:  # rejected where it stands: a located error, not kfyaml failing
        errors = [d for d in result.diagnostics if d.severity.value == "error"]
        assert errors and all(d.code != "KY900" and d.line > 1 for d in errors), [d.format() for d in errors]


def test_the_base_pipeline_compiles():
    import yaml

    result = api.compile_bytes(yaml.safe_dump(BASE).encode(), "p.yaml")
    assert [d.format() for d in result.diagnostics if d.severity.value == "error"] == []
    assert len(LEAVES) > 25
