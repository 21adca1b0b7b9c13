"""The first afternoon without friction (issue 19, points 8-12): the docs' commands work on the
docs' own layouts."""

from __future__ import annotations

import shutil

import pytest
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


def test_the_run_folder_is_printed_whole_on_a_terminal_80_columns_wide(tmp_path):
    """The path is what a user copies next: no line break inside it, whatever the width (issue 19, 9)."""
    import fcntl
    import os
    import pty
    import re
    import struct
    import subprocess
    import sys
    import termios

    (tmp_path / "p.yaml").write_text("name: wide\nsteps:\n  hello:\n    image: alpine\n    command: [echo, hi]\n")
    workdir = tmp_path / ("a-workdir-with-a-rather-long-name-" * 3)
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    proc = subprocess.Popen([sys.executable, "-m", "kfyaml.compiler.cli", "run", "p.yaml", "--workdir", str(workdir)],
                            cwd=tmp_path, stdin=terminal, stdout=terminal, stderr=terminal, env=env)
    os.close(terminal)
    out = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait(timeout=120) == 0
    os.close(controller)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.decode(errors="replace"))
    run_dir = next((workdir / "runs").iterdir())
    lines = [line for line in text.replace("\r", "").splitlines() if line.startswith("run succeeded: ")]
    assert lines == [f"run succeeded: {os.path.relpath(run_dir, tmp_path)}"]
    assert len(lines[0]) > 80


def test_a_yaml_syntax_error_shows_its_line_with_a_caret(tmp_path):
    (tmp_path / "p.yaml").write_text("name: x\nsteps:\n  a: [unclosed\n  b: 1\n")
    proc = run_cli("lint", "p.yaml", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (1, "p.yaml:4:4: error: did not find expected ',' or ']' (while parsing a "
                                                 "flow sequence) [KY101]\n  4 |   b: 1\n    |    ^\n")
    proc = run_cli("lint", "-", cwd=tmp_path, input="name: x\nsteps: [\n")
    assert proc.stdout == ("<stdin>:3:1: error: did not find expected node content (while parsing a flow node) "
                           "[KY101]\n")  # past the last line: nothing to show under it


@pytest.mark.slow
def test_runs_and_the_cache_live_at_the_project_root_whatever_the_current_folder(tmp_path):
    """Issue 19, point 10: from the project root or a folder below it, one `.kfyaml/`, one cache."""
    import json
    import subprocess

    project = tmp_path / "project"
    (project / "pipelines").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / "pipelines" / "p.yaml").write_text("name: p\nsteps:\n  a:\n    image: alpine\n    command: [echo, hi]\n")
    first = run_cli("run", "p.yaml", "--json", cwd=project / "pipelines")
    assert first.returncode == 0, first.stderr
    second = run_cli("run", "pipelines/p.yaml", "--json", cwd=project)
    assert json.loads(second.stdout)["steps"]["a"]["state"] == "cached"
    assert sorted(p.name for p in (project / ".kfyaml").iterdir()) == [".gitignore", "cache", "runs"]
    assert (project / ".kfyaml" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert not (project / "pipelines" / ".kfyaml").exists()
    cache = run_cli("cache", cwd=project / "pipelines")
    assert cache.stdout.splitlines()[0].endswith(f"in {project / '.kfyaml' / 'cache'}")


@pytest.mark.slow
def test_steps_asking_for_the_same_packages_share_one_environment_and_the_first_run_says_so(tmp_path):
    """Issue 19, point 11: the same requirement set, listed in another order, is one environment."""
    import os
    import subprocess
    import sys

    (tmp_path / "p.yaml").write_text("""name: envs
steps:
  a:
    python: |
      def a() -> str:
          import yaml, networkx
          return "a"
    packages: [pyyaml, networkx]
  b:
    python: |
      def b() -> str:
          import yaml, networkx
          return "b"
    packages: [networkx, pyyaml]
""")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    proc = subprocess.run([sys.executable, "-m", "kfyaml.compiler.cli", "run", "p.yaml", "--workdir", "wd"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    venvs = list((tmp_path / "xdg" / "kfyaml" / "venvs").iterdir())
    assert len(venvs) == 1
    notes = [line for line in proc.stderr.splitlines() if line.startswith("note: prepared a step environment")]
    assert notes == [f"note: prepared a step environment for networkx, pyyaml, kfp==2.17.3 ({notes[0].split('(')[1].split(')')[0]}) "
                     f"in {venvs[0]}; steps that ask for the same packages share it, and later runs reuse it"]
    assert notes[0].split("(")[1].split(")")[0].endswith(("B", "KiB", "MiB", "GiB"))


@pytest.mark.slow
def test_logs_and_json_keys_are_the_pipelines_step_names(tmp_path):
    """Issue 19, point 4 (logs): no IR names (`exit-handler-1_condition-branches-2_..._deploy.log`)."""
    import json

    (tmp_path / "p.yaml").write_text("""name: names
params:
  models: {type: list, default: [lr, svm]}
steps:
  candidates:
    for_each: ${{ params.models }}
    as: model
    steps:
      train: {image: alpine, command: [echo, train]}
  route:
    branches:
      - if: ${{ 1 > 0 }}
        steps:
          deploy_logreg: {image: alpine, command: [echo, deploy]}
      - else:
        steps:
          hold: {image: alpine, command: [echo, hold]}
finally:
  notify: {image: alpine, command: [echo, done]}
""")
    proc = run_cli("run", "p.yaml", "--workdir", "wd", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    logs = sorted(p.name for p in next((tmp_path / "wd" / "runs").iterdir()).joinpath("logs").iterdir())
    assert logs == ["candidates[lr]__train.log", "candidates[svm]__train.log", "deploy_logreg.log", "notify.log"]
    steps = json.loads(proc.stdout)["steps"]
    assert sorted(s["log"].rsplit("/", 1)[1] for s in steps.values() if s["log"]) == logs
    assert sorted(steps) == ["candidates[lr]/train", "candidates[svm]/train", "deploy_logreg", "hold", "notify"]
    assert steps["deploy_logreg"]["path"].startswith("exit-handler-1/condition-branches-")
