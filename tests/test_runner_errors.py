"""`kfyaml run` when things go wrong that are not the step's fault: a kfyaml bug, a cache that cannot be written."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import run_cli

from kfyaml.compiler import cli
from kfyaml.runner import cache as cache_module
from kfyaml.runner import engine

pytestmark = pytest.mark.slow  # end to end: runs pipelines, trains models or builds environments

PIPELINE = """
name: two
params:
  n: {type: int, default: 1}
steps:
  first:
    image: alpine
    command: [sh, -c, 'echo "$0" > "$1"', "${{ inputs.n }}", "${{ outputs.out }}"]
    inputs: {n: int}
    outputs: {out: int}
    with: {n: "${{ params.n }}"}
  second:
    image: alpine
    command: [sh, -c, 'echo "$0"', "${{ inputs.v }}"]
    inputs: {v: int}
    with: {v: "${{ steps.first.outputs.out }}"}
"""


@pytest.fixture
def pipeline(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "pipeline.yaml"
    path.write_text(PIPELINE)
    return path


def _run(path, capsys, *args):
    code = cli.main(["run", str(path), "--workdir", str(path.parent / "work"), "--json", *args])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_a_bug_in_the_engine_is_an_internal_error_not_a_step_failure(pipeline, capsys, monkeypatch):
    real = engine.launch.run

    def broken(step, slots, log, on_start, on_prepare=None, on_progress=None):
        if "second" in str(step.out_dir):
            raise ZeroDivisionError("division by zero")
        return real(step, slots, log, on_start, on_prepare, on_progress)

    monkeypatch.setattr(engine.launch, "run", broken)
    code, result, err = _run(pipeline, capsys)
    assert code == 1
    assert result["steps"]["first"]["state"] == "succeeded"
    assert result["steps"]["second"]["state"] == "failed"
    assert result["steps"]["second"]["error"] == "internal error in kfyaml run (ZeroDivisionError: division by zero)"
    run_dir = result["run_dir"]
    assert (f"kfyaml run: internal error (second: ZeroDivisionError: division by zero); the traceback is in "
            f"{run_dir}/internal-error.txt. Please report it to the kfyaml maintainers [KY900]") in err
    assert "ZeroDivisionError" in open(f"{run_dir}/internal-error.txt").read()


def test_a_cache_that_cannot_be_written_leaves_steps_succeeded(pipeline, capsys, monkeypatch):
    def full(self, key, parameters, artifacts):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_module.Cache, "store", full)
    code, result, err = _run(pipeline, capsys)
    assert code == 0
    assert {p: s["state"] for p, s in result["steps"].items()} == {"first": "succeeded", "second": "succeeded"}
    cache_dir = pipeline.parent / "work" / "cache"
    assert err.count(f"note: the cache in {cache_dir} could not be written (No space left on device); "
                     "results are not cached") == 1
    log = open(result["steps"]["first"]["log"]).read()
    assert "the result was not cached: [Errno 28] No space left on device" in log


def test_a_step_that_fails_after_a_retry_succeeds_has_no_error(pipeline, capsys, tmp_path):
    flaky = tmp_path / "flaky.yaml"
    flaky.write_text(f"""
name: flaky
steps:
  once:
    image: alpine
    command: [sh, -c, 'test -e {tmp_path}/mark || {{ touch {tmp_path}/mark; exit 3; }}']
    retry: {{max: 1}}
""")
    code, result, _ = _run(flaky, capsys)
    assert code == 0
    assert (result["steps"]["once"]["state"], result["steps"]["once"]["attempts"], result["steps"]["once"]["error"]) \
        == ("succeeded", 2, None)


def test_run_and_submit_refuse_a_param_the_same_way(pipeline):
    run = run_cli("run", str(pipeline), "--param", "n=ten", "--workdir", str(pipeline.parent / "w"))
    submit = run_cli("submit", str(pipeline), "--host", "http://127.0.0.1:9", "--param", "n=ten")
    assert (run.returncode, run.stderr) == (2, "kfyaml run: --param n=ten: n must be an int\n")
    assert (submit.returncode, submit.stderr) == (2, "kfyaml submit: --param n=ten: n must be an int\n")
    unknown = run_cli("submit", str(pipeline), "--host", "http://127.0.0.1:9", "--param", "m=1")
    assert unknown.stderr == "kfyaml submit: the pipeline has no param m; its params are: n\n"


def test_a_steps_pip_install_stays_in_its_environment(tmp_path, monkeypatch, capsys):
    """`pip install` in an inline step's command lands in the step's venv, never in the Python running kfyaml."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    package = tmp_path / "pkg"
    (package / "kfyaml_probe_pkg").mkdir(parents=True)
    (package / "kfyaml_probe_pkg" / "__init__.py").write_text("VALUE = 42\n")
    (package / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"]\nbuild-backend = '
                                            '"setuptools.build_meta"\n[project]\nname = "kfyaml-probe-pkg"\n'
                                            'version = "1.0"\n')
    path = tmp_path / "pipeline.yaml"
    path.write_text(f"""
name: installs
steps:
  install:
    image: python:3.11
    command: [sh, -c, 'pip install --quiet --no-index --no-build-isolation {package} && python -c "import kfyaml_probe_pkg, sys; print(sys.prefix)"']
""")
    code, result, _ = _run(path, capsys)
    assert code == 0, result
    log = open(result["steps"]["install"]["log"]).read()
    venvs = tmp_path / "xdg" / "kfyaml" / "venvs"
    assert str(venvs) in log  # sys.prefix of the step's Python: its venv
    probe = subprocess.run([sys.executable, "-c", "import kfyaml_probe_pkg"], capture_output=True)
    assert probe.returncode != 0  # not in the Python that runs kfyaml


def test_run_time_names_are_filled_in_and_a_step_can_ignore_a_failed_upstream(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "pipeline.yaml"
    path.write_text("""
name: names
steps:
  broken:
    image: alpine
    command: ["false"]
  label:
    image: alpine
    command: [sh, -c, 'printf "%s" "$0" > "$1"', "${{ inputs.text }}", "${{ outputs.seen }}"]
    inputs: {text: string}
    outputs: {seen: string}
    with: {text: "${{ pipeline.job_name }}/${{ task.name }}/${{ task.id }}"}
    needs: broken
    ignore_upstream_failure: true
""")
    code, result, _ = _run(path, capsys)
    assert code == 1  # `broken` failed
    assert result["steps"]["label"]["state"] == "succeeded"
    job, task, task_id = result["steps"]["label"]["outputs"]["seen"].split("/")
    assert job == result["run_dir"].rsplit("/", 1)[1]
    assert task == "label"
    assert len(task_id) == 36 and task_id.count("-") == 4


def test_an_importer_step_brings_a_local_file_into_the_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    data = tmp_path / "rows.csv"
    data.write_text("a,b\n1,2\n3,4\n")
    path = tmp_path / "pipeline.yaml"
    path.write_text(f"""
name: imports
params:
  source: {{type: string, default: {data}}}
steps:
  raw:
    importer: {{uri: "${{{{ params.source }}}}", type: dataset, metadata: {{origin: lake}}}}
  count:
    image: alpine
    command: [sh, -c, 'wc -l < "$0" | tr -d " " > "$1"', "${{{{ inputs.d }}}}", "${{{{ outputs.lines }}}}"]
    inputs: {{d: dataset}}
    outputs: {{lines: int}}
    with: {{d: "${{{{ steps.raw.outputs.artifact }}}}"}}
""")
    code, result, _ = _run(path, capsys)
    assert code == 0, result
    assert result["steps"]["count"]["outputs"] == {"lines": 3}
    assert result["steps"]["raw"]["state"] == "succeeded"


def test_an_optional_param_left_unset_leaves_the_input_to_its_default(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "pipeline.yaml"
    path.write_text("""
name: optional
params:
  greeting: {type: string, optional: true}
steps:
  greet:
    image: alpine
    command: [sh, -c, 'printf "%s" "$0" > "$1"', "${{ inputs.text }}", "${{ outputs.said }}"]
    inputs: {text: {type: string, default: hello}}
    outputs: {said: string}
    with: {text: "${{ params.greeting }}"}
""")
    code, result, _ = _run(path, capsys, "--no-cache")
    assert (code, result["steps"]["greet"]["outputs"]) == (0, {"said": "hello"})
    code, result, _ = _run(path, capsys, "--no-cache", "--param", "greeting=hi")
    assert (code, result["steps"]["greet"]["outputs"]) == (0, {"said": "hi"})


def test_fan_in_across_nested_loops_runs_as_a_list_of_lists(tmp_path, monkeypatch, capsys):
    from test_differential_kfp_forms import NESTED_LOOPS

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "pipeline.yaml"
    path.write_text(NESTED_LOOPS + "outputs:\n  products: ${{ steps.product.outputs.out }}\n")
    code, result, _ = _run(path, capsys)
    assert code == 0, result
    assert result["outputs"]["parameters"] == {"products": [[3, 4], [6, 8]]}


def test_for_each_over_gathered_artifacts_runs_once_per_artifact(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "inner.yaml").write_text("""
name: inner
steps:
  make:
    for_each: [3, 5]
    image: alpine
    command: [sh, -c, 'seq "$0" > "$1"', "${{ inputs.n }}", "${{ outputs.m }}"]
    inputs: {n: int}
    outputs: {m: dataset}
    with: {n: "${{ item }}"}
outputs:
  files: ${{ steps.make.outputs.m }}
""")
    path = tmp_path / "pipeline.yaml"
    path.write_text("""
name: artifacts
steps:
  made:
    uses: ./inner.yaml
  count:
    for_each: ${{ steps.made.outputs.files }}
    image: alpine
    command: [sh, -c, 'wc -l < "$0" | tr -d " " > "$1"', "${{ inputs.d }}", "${{ outputs.lines }}"]
    inputs: {d: dataset}
    outputs: {lines: int}
    with: {d: "${{ item }}"}
outputs:
  lines: ${{ steps.count.outputs.lines }}
""")
    code, result, _ = _run(path, capsys)
    assert code == 0, result
    assert result["outputs"]["parameters"] == {"lines": [3, 5]}



GROUPS_WITH_FINALLY = """
name: side-exit
steps:
  first:
    steps:
      a: {image: alpine, command: [sh, -c, "exit 1"]}
    finally:
      report_one:
        image: alpine
        command: [sh, -c, 'printf "%s" "$0" > "$1"', "${{ inputs.status }}", "${{ outputs.seen }}"]
        inputs: {status: dict}
        outputs: {seen: string}
        with: {status: "${{ pipeline.status }}"}
  second:
    steps:
      b: {image: alpine, command: [sh, -c, "true"]}
    finally:
      report_two:
        image: alpine
        command: [sh, -c, 'printf "%s" "$0" > "$1"', "${{ inputs.status }}", "${{ outputs.seen }}"]
        inputs: {status: dict}
        outputs: {seen: string}
        with: {status: "${{ pipeline.status }}"}
"""


def test_each_groups_finally_runs_after_its_own_steps_with_its_status(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "pipeline.yaml"
    path.write_text(GROUPS_WITH_FINALLY)
    code, result, _ = _run(path, capsys)
    assert code == 1  # `a` failed
    states = {s["step"]: s["state"] for s in result["steps"].values()}
    assert states == {"a": "failed", "b": "succeeded", "report_one": "succeeded", "report_two": "succeeded"}
    seen = {s["step"]: json.loads(s["outputs"]["seen"])["state"] for s in result["steps"].values()
            if s["step"].startswith("report")}
    assert seen == {"report_one": "FAILED", "report_two": "SUCCEEDED"}


def test_an_optional_artifact_left_unset_reaches_the_step_as_none(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "inner.yaml").write_text("""
name: inner
params:
  data: {type: dataset, optional: true}
steps:
  look:
    python: |
      def look(d: Input[Dataset] = None) -> str:
          return "none" if d is None else open(d.path).read()
    with: {d: "${{ params.data }}"}
outputs:
  seen: ${{ steps.look.outputs.Output }}
""")
    path = tmp_path / "pipeline.yaml"
    path.write_text("""
name: optional-artifact
params:
  data: {type: dataset, optional: true}
steps:
  direct:
    python: |
      def direct(d: Input[Dataset] = None) -> str:
          return "none" if d is None else open(d.path).read()
    with: {d: "${{ params.data }}"}
  nested:
    uses: ./inner.yaml
""")
    code, result, _ = _run(path, capsys, "--no-cache")
    assert (code, result["steps"]["direct"]["outputs"]) == (0, {"Output": "none"})
    assert result["steps"]["nested/look"]["outputs"] == {"Output": "none"}


def test_a_full_disk_while_serving_a_cached_result_runs_the_step_instead(tmp_path, capsys, monkeypatch):
    import errno

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "pipeline.yaml"
    path.write_text("""
name: disk
steps:
  make:
    image: alpine
    command: [sh, -c, 'echo data > "$0"', "${{ outputs.data }}"]
    outputs: {data: dataset}
""")
    assert _run(path, capsys)[0] == 0
    assert _run(path, capsys)[1]["steps"]["make"]["state"] == "cached"

    def full(source, target):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache_module, "_place", full)
    code, result, _ = _run(path, capsys)
    step = result["steps"]["make"]
    assert (code, step["state"]) == (0, "succeeded")
    assert "could not be used (No space left on device); running the step" in open(step["log"]).read()
