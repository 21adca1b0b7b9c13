"""`kfyaml graph`: golden pictures of every example; DOT checked by Graphviz, Mermaid by its grammar."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, run_cli

from tools.update_golden import GRAPH_SUFFIX, GRAPHS, graph

SOURCES = sorted(p for p in EXAMPLES.glob("*.yaml") if not p.name.endswith(".test.yaml"))  # tests are not pipelines


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
@pytest.mark.parametrize("form", list(GRAPH_SUFFIX))
def test_graph_matches_its_golden_file(source, form):
    assert graph(source, form) == (GRAPHS / f"{source.stem}{GRAPH_SUFFIX[form]}").read_text(encoding="utf-8"), \
        "stale: run `python tools/update_golden.py` and review the diff"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is installed by .ci/run")
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_dot_output_is_read_by_graphviz(source, tmp_path):
    proc = subprocess.run(["dot", "-Tsvg", "-o", str(tmp_path / "out.svg"), str(GRAPHS / f"{source.stem}.dot")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "<svg" in (tmp_path / "out.svg").read_text()


_LINE = {
    "header": re.compile(r"^flowchart TD$"),
    "subgraph": re.compile(r'^\s*subgraph (\w+)\["([^"]*)"\]$'),
    "direction": re.compile(r"^\s*direction TB$"),
    "end": re.compile(r"^\s*end$"),
    "node": re.compile(r'^\s*(\w+)\["([^"]*)"\]$'),
    "edge": re.compile(r'^\s*(\w+) -->(?:\|"([^"]*)"\|)? (\w+)$'),
}


def check_mermaid(text: str) -> None:
    """The subset of Mermaid's flowchart grammar kfyaml writes: every line one of its forms,
    subgraphs balanced, ids declared once and edges between declared ids."""
    lines = text.rstrip("\n").split("\n")
    assert _LINE["header"].match(lines[0]), lines[0]
    declared, depth = set(), 0
    for line in lines[1:]:
        kind = next((k for k, p in _LINE.items() if k != "header" and p.match(line)), None)
        assert kind is not None, f"not Mermaid flowchart syntax: {line!r}"
        if kind in ("subgraph", "node"):
            name = _LINE[kind].match(line).group(1)
            assert name not in declared, f"{name} declared twice"
            declared.add(name)
            depth += kind == "subgraph"
        elif kind == "end":
            depth -= 1
            assert depth >= 0, "an `end` with no subgraph"
        elif kind == "edge":
            match = _LINE["edge"].match(line)
            assert {match.group(1), match.group(3)} <= declared, line
    assert depth == 0, "a subgraph is never closed"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_mermaid_output_follows_the_flowchart_grammar(source):
    check_mermaid((GRAPHS / f"{source.stem}.mmd").read_text())


def test_the_grammar_check_rejects_what_mermaid_would(tmp_path):
    for bad in ("flowchart TD\n  a[\"x\"]\n  a --> b\n", "flowchart TD\n  subgraph g[\"g\"]\n", "flowchart TD\n  a-b[\"x\"]\n"):
        with pytest.raises(AssertionError):
            check_mermaid(bad)


def test_the_command_writes_each_format_and_refuses_a_broken_pipeline(tmp_path):
    proc = run_cli("graph", str(EXAMPLES / "conditional_deploy.yaml"), "--format", "ascii")
    assert (proc.returncode, proc.stdout) == (0, (GRAPHS / "conditional_deploy.txt").read_text())
    out = tmp_path / "p.mmd"
    assert run_cli("graph", str(EXAMPLES / "production.yaml"), "-o", str(out)).returncode == 0
    assert out.read_text() == (GRAPHS / "production.mmd").read_text()
    (tmp_path / "bad.yaml").write_text("name: x\nsteps:\n  a: {image: alpine, needs: [nothere]}\n")
    proc = run_cli("graph", "bad.yaml", "-q", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1] == "bad.yaml: fix the errors to draw the pipeline"


def test_readme_shows_a_graph_of_an_example():
    readme = (ROOT / "README.md").read_text()
    assert (GRAPHS / "conditional_deploy.mmd").read_text().strip() in readme
    assert Path(GRAPHS).is_dir()


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js runs the editor test too")
def test_the_vscode_extension_is_well_formed():
    import json

    manifest = json.loads((ROOT / "editors" / "vscode" / "package.json").read_text())
    assert manifest["main"] == "./extension.js" and manifest["contributes"]["yamlValidation"]
    assert subprocess.run(["node", "--check", str(ROOT / "editors" / "vscode" / "extension.js")]).returncode == 0
