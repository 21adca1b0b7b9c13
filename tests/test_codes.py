"""Every code can be traced to the code that reports it, and docs/checks.md says which pass that is."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

from kfyaml.compiler import codes

# Which pass each source file belongs to (helpers count as the pass that calls them).
PASS_OF = {
    "compiler/load.py": "load",
    "compiler/config.py": "suppress",
    "compiler/suppress.py": "suppress",
    "compiler/validate_schema.py": "schema",
    "compiler/expressions.py": "resolve",
    "compiler/component_files.py": "resolve",
    "compiler/python_step.py": "resolve",
    "compiler/checks/references.py": "references",
    "compiler/checks/graph.py": "graph",
    "compiler/checks/types.py": "types",
    "compiler/api.py": "api",
    "compiler/ir_gate.py": "gate",
}
CONSTANTS = {name for name, value in vars(codes).items() if isinstance(value, codes.Code)}


def _pass(path: Path) -> str | None:
    relative = path.relative_to(ROOT).as_posix()
    if relative.startswith("compiler/resolve/"):
        return "resolve"
    if relative.startswith("compiler/cli/"):
        return "cli"
    if relative.startswith("compiler/importer/"):
        return "import"
    return PASS_OF.get(relative)


def emit_sites() -> dict[str, set[str]]:
    """Code constant -> the passes whose source names it."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "compiler").rglob("*.py")) + sorted((ROOT / "runner").rglob("*.py")):
        if path.name == "codes.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                  and isinstance(n.value, ast.Name) and n.value.id == "codes"}
        for name in names & CONSTANTS:
            owner = _pass(path)
            assert owner is not None, f"{path} reports {name} but belongs to no pass in PASS_OF"
            found.setdefault(name, set()).add(owner)
    return found


def test_codes_are_never_written_as_strings_at_emit_sites():
    for path in sorted((ROOT / "compiler").rglob("*.py")) + sorted((ROOT / "runner").rglob("*.py")):
        if path.name == "codes.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not (len(node.value) == 5 and node.value.startswith("KY") and node.value[2:].isdigit()), \
                    f"{path.name}:{node.lineno} writes {node.value!r}; use its constant from compiler/codes.py"


@pytest.mark.parametrize("name", sorted(CONSTANTS))
def test_each_code_is_reported_by_the_passes_it_names(name):
    code = getattr(codes, name)
    assert emit_sites().get(name, set()) == set(code.passes), code.id


def test_every_pass_named_has_a_place():
    assert {p for c in codes.CODES.values() for p in c.passes} <= set(codes.PASSES)
    for where in codes.PASSES.values():
        assert (ROOT / where).exists(), where
