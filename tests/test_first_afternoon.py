"""The first afternoon without friction (issue 19, points 8-12): the docs' commands work on the
docs' own layouts."""

from __future__ import annotations

import shutil

from conftest import EXAMPLES, run_cli


def test_lint_over_a_folder_with_tests_beside_the_pipelines_passes(tmp_path):
    """docs/ci.md's `kfyaml lint pipelines/*.yaml` with docs/testing.md's layout (tests beside pipelines)."""
    pipelines = tmp_path / "pipelines"
    pipelines.mkdir()
    for name in ("conditional_deploy.yaml", "conditional_deploy.test.yaml"):
        shutil.copy(EXAMPLES / name, pipelines / name)
    proc = run_cli("lint", "pipelines/conditional_deploy.test.yaml", "pipelines/conditional_deploy.yaml", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr == ("pipelines/conditional_deploy.test.yaml: a pipeline test file, skipped: `kfyaml test "
                           "pipelines/conditional_deploy.test.yaml` checks and runs it\n")


def test_lint_passes_on_the_repositorys_own_examples():
    files = sorted(str(p.relative_to(EXAMPLES.parent)) for p in EXAMPLES.glob("*.yaml"))
    assert any(f.endswith(".test.yaml") for f in files)
    proc = run_cli("lint", *files)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_run_reads_standard_input_as_lint_and_compile_do(tmp_path):
    """`kfyaml run -`: the pipeline from standard input; relative paths from the current folder."""
    (tmp_path / "data.txt").write_text("from the current folder\n")
    pipeline = """name: stdin
steps:
  show:
    image: alpine
    command: [cat, data.txt]
"""
    proc = run_cli("run", "-", "--workdir", "wd", "--json", cwd=tmp_path, input=pipeline)
    assert proc.returncode == 0, proc.stderr
    log = (tmp_path / "wd" / "runs").glob("stdin-*/logs/show.log")
    assert "from the current folder" in next(log).read_text()
