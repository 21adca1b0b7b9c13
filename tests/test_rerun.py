"""`kfyaml run --only STEP` and `--from STEP` (issue 22, part 4): one step again, the rest from the last run."""

import json
import os
import textwrap

import pytest
from conftest import run_cli

pytestmark = pytest.mark.slow

PIPELINE = textwrap.dedent("""\
    name: rerun
    params:
      fail: {type: bool, default: false}
    steps:
      make:
        python: |
          def make(data: Output[Dataset]) -> int:
              open(data.path, "w").write("x\\n1\\n2\\n")
              print("make ran")
              return 7
      use:
        python: |
          def use(n: int, data: Input[Dataset], fail: bool) -> str:
              if fail:
                  raise SystemExit("asked to fail")
              print("use ran")
              return f"{n} {len(open(data.path).read().splitlines())}"
        with: {n: "${{ steps.make.outputs.Output }}", data: "${{ steps.make.outputs.data }}", fail: "${{ params.fail }}"}
      last:
        python: |
          def last(s: str) -> str:
              print("last ran")
              return s + "!"
        with: {s: "${{ steps.use.outputs.Output }}"}
    outputs:
      result: ${{ steps.last.outputs.Output }}
    """)


def _run(tmp_path, *args):
    done = run_cli("run", "p.yaml", "--workdir", "w", "--json", *args, cwd=tmp_path)
    result = json.loads(done.stdout) if done.stdout.strip() else None
    return done, result


def _states(result):
    return {name: (step["state"], step.get("reason")) for name, step in result["steps"].items()}


def test_only_runs_one_step_with_the_others_outputs_from_the_last_run(tmp_path):
    (tmp_path / "p.yaml").write_text(PIPELINE)
    first, whole = _run(tmp_path)
    assert first.returncode == 0, first.stderr
    earlier = whole["run_dir"].rsplit("/", 1)[-1]
    again, result = _run(tmp_path, "--only", "use", "--no-cache")
    assert again.returncode == 0, again.stderr
    assert f"kfyaml run: running use; the other steps' outputs come from {earlier}" in again.stderr
    assert _states(result) == {"make": ("succeeded", f"from {earlier}"), "use": ("succeeded", None),
                               "last": ("succeeded", f"from {earlier}")}
    assert result["outputs"]["parameters"] == whole["outputs"]["parameters"] == {"result": "7 3!"}
    assert "use ran" in open(result["steps"]["use"]["log"]).read()
    assert not any(os.path.exists(result["steps"][name]["log"]) for name in ("make", "last"))  # they did not run


def test_from_runs_a_step_and_what_follows_and_the_cache_still_counts(tmp_path):
    (tmp_path / "p.yaml").write_text(PIPELINE)
    assert _run(tmp_path)[0].returncode == 0
    again, result = _run(tmp_path, "--from", "use")
    assert again.returncode == 0, again.stderr
    states = _states(result)
    assert states["make"][0] == "succeeded" and states["make"][1].startswith("from rerun-")
    assert states["use"] == ("cached", None) and states["last"] == ("cached", None)  # unchanged: from the cache


def test_a_failed_step_is_fixed_and_run_from_where_it_failed(tmp_path):
    (tmp_path / "p.yaml").write_text(PIPELINE)
    failed, _ = _run(tmp_path, "--param", "fail=true")
    assert failed.returncode == 1
    only_last = run_cli("run", "p.yaml", "--workdir", "w", "--only", "last", cwd=tmp_path)
    assert only_last.returncode == 2
    assert only_last.stderr.strip() == ("kfyaml: use ended failed in the last run, so it has no outputs to reuse: run "
                                        "it too (--from use) or the whole pipeline")
    fixed, result = _run(tmp_path, "--from", "use")
    assert fixed.returncode == 0, fixed.stderr
    assert _states(result)["use"] == ("succeeded", None)
    assert result["outputs"]["parameters"] == {"result": "7 3!"}


def test_what_cannot_be_rerun_is_named(tmp_path):
    (tmp_path / "p.yaml").write_text(PIPELINE)
    none = run_cli("run", "p.yaml", "--workdir", "w", "--only", "use", cwd=tmp_path)
    assert none.returncode == 2
    assert none.stderr.strip() == "kfyaml: no earlier run of p.yaml in w/runs: run the whole pipeline once first"
    assert _run(tmp_path)[0].returncode == 0
    unknown = run_cli("run", "p.yaml", "--workdir", "w", "--only", "usee", cwd=tmp_path)
    assert unknown.stderr.strip() == "kfyaml: the last run has no step 'usee' (its steps: make, use, last)"
    both = run_cli("run", "p.yaml", "--workdir", "w", "--only", "use", "--from", "use", cwd=tmp_path)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_reused_steps_keep_their_place_and_their_artifacts_metadata(tmp_path):
    """A nested pipeline's `make` is not the outer `make`, and a reused artifact still carries its metadata."""
    (tmp_path / "inner.yaml").write_text(textwrap.dedent("""\
        name: inner
        steps:
          make:
            python: |
              def make() -> int:
                  return 100
        outputs:
          n: ${{ steps.make.outputs.Output }}
        """))
    (tmp_path / "p.yaml").write_text(textwrap.dedent("""\
        name: nested
        steps:
          make:
            python: |
              def make(data: Output[Dataset]) -> int:
                  open(data.path, "w").write("x\\n1\\n")
                  data.metadata["rows"] = 1
                  return 7
          inner:
            uses: ./inner.yaml
          use:
            python: |
              def use(a: int, b: int, data: Input[Dataset]) -> str:
                  return f"{a} {b} rows={data.metadata.get('rows')}"
            with: {a: "${{ steps.make.outputs.Output }}", b: "${{ steps.inner.outputs.n }}",
                   data: "${{ steps.make.outputs.data }}"}
        outputs:
          result: ${{ steps.use.outputs.Output }}
        """))
    first, whole = _run(tmp_path)
    assert first.returncode == 0, first.stderr
    assert whole["outputs"]["parameters"] == {"result": "7 100 rows=1"}
    again, result = _run(tmp_path, "--only", "use", "--no-cache")
    assert again.returncode == 0, again.stderr
    assert result["outputs"]["parameters"] == {"result": "7 100 rows=1"}
    assert _states(result)["use"] == ("succeeded", None)


def test_steps_after_the_chosen_one_with_nothing_to_reuse_are_skipped(tmp_path):
    (tmp_path / "p.yaml").write_text(PIPELINE)
    failed, whole = _run(tmp_path, "--param", "fail=true")
    assert failed.returncode == 1
    earlier = whole["run_dir"].rsplit("/", 1)[-1]
    again, result = _run(tmp_path, "--only", "make", "--no-cache")
    assert again.returncode == 0, again.stderr
    assert _states(result) == {
        "make": ("succeeded", None),
        "use": ("skipped", f"not run: it follows the chosen steps and ended failed in {earlier}"),
        "last": ("skipped", f"not run: it follows the chosen steps and ended upstream_failed in {earlier}")}


def test_a_loops_iterations_are_reused_by_their_place(tmp_path):
    (tmp_path / "p.yaml").write_text(textwrap.dedent("""\
        name: looped
        params:
          sizes: {type: list, default: [1, 2, 3]}
        steps:
          each:
            for_each: ${{ params.sizes }}
            as: size
            steps:
              square:
                python: |
                  def square(n: int) -> int:
                      print("square ran")
                      return n * n
                with: {n: "${{ size }}"}
          total:
            python: |
              def total(values: list) -> int:
                  return sum(values)
            with: {values: "${{ steps.square.outputs.Output }}"}
        outputs:
          total: ${{ steps.total.outputs.Output }}
        """))
    first, whole = _run(tmp_path)
    assert first.returncode == 0, first.stderr
    earlier = whole["run_dir"].rsplit("/", 1)[-1]
    again, result = _run(tmp_path, "--only", "total", "--no-cache")
    assert again.returncode == 0, again.stderr
    assert _states(result) == {"total": ("succeeded", None), **{
        f"each[{n}]/square": ("succeeded", f"from {earlier}") for n in (1, 2, 3)}}
    assert result["outputs"]["parameters"] == {"total": 14}


def test_a_pipeline_in_a_subfolder_reuses_files_and_a_metrics_output_without_one(tmp_path):
    """The work folder is relative to where kfyaml runs, the pipeline's steps start in its own folder: a reused
    artifact is found either way. A KFP Metrics output is metadata alone: reused as such."""
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "p.yaml").write_text(textwrap.dedent("""\
        name: sub
        steps:
          make:
            python: |
              def make(data: Output[Dataset], scores: Output[Metrics]):
                  open(data.path, "w").write("x\\n1\\n2\\n")
                  scores.log_metric("accuracy", 0.9)
          use:
            python: |
              def use(data: Input[Dataset], scores: Input[Metrics]) -> str:
                  return f"{len(open(data.path).read().splitlines())} {scores.metadata['accuracy']}"
            with: {data: "${{ steps.make.outputs.data }}", scores: "${{ steps.make.outputs.scores }}"}
        outputs:
          result: ${{ steps.use.outputs.Output }}
        """))

    def run(*args):
        done = run_cli("run", "pipelines/p.yaml", "--workdir", "w", "--json", *args, cwd=tmp_path)
        return done, (json.loads(done.stdout) if done.stdout.strip() else None)

    first, whole = run()
    assert first.returncode == 0, first.stderr
    again, result = run("--only", "use", "--no-cache")
    assert again.returncode == 0, again.stderr
    assert result["outputs"]["parameters"] == whole["outputs"]["parameters"] == {"result": "3 0.9"}
