"""`kfyaml run`: examples end to end, concurrency, the cache, failures and retries."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from conftest import EXAMPLES
from support.run_helpers import kfyaml_run, states
from support.stdlib_helpers import write_dataset

pytestmark = pytest.mark.slow  # end to end: runs pipelines, trains models or builds environments


@pytest.fixture(scope="module")
def venvs(tmp_path_factory):
    """One cache of step environments for the module: creating a venv once is enough."""
    return {"XDG_CACHE_HOME": str(tmp_path_factory.mktemp("xdg"))}


def _pipeline(tmp_path, text: str):
    path = tmp_path / "pipeline.yaml"
    path.write_text(text)
    return path


SLEEPY = """
name: sleepy
params:
  seconds: {type: float, default: 1.0}
  tag: {type: string, default: a}
steps:
  left:
    python: |
      def left(seconds: float) -> float:
          import time
          time.sleep(seconds)
          return seconds
    with: {seconds: "${{ params.seconds }}"}
  right:
    python: |
      def right(seconds: float, tag: str) -> str:
          import time
          time.sleep(seconds)
          return tag
    with: {seconds: "${{ params.seconds }}", tag: "${{ params.tag }}"}
  join:
    python: |
      def join(a: float, b: str) -> str:
          return f"{a}-{b}"
    with: {a: "${{ steps.left.outputs.Output }}", b: "${{ steps.right.outputs.Output }}"}
outputs:
  joined: ${{ steps.join.outputs.Output }}
"""


def test_language_tour_matches_kfp_local(tmp_path, venvs):
    """The same IR under kfyaml run and under kfp.local gives the same outputs (see test_kfp_local.py)."""
    from test_kfp_local import _expected

    for threshold in (0.5, 0.9):
        code, result, stderr = kfyaml_run(EXAMPLES / "language_tour.yaml", tmp_path / "w", "--param",
                                          f"threshold={threshold}", env=venvs)
        assert code == 0, stderr
        assert result["outputs"]["parameters"] == _expected([1, 2, 3], threshold)


def test_training_pipeline_with_library_steps(tmp_path, venvs):
    from test_stdlib_pipeline import _expected

    source = write_dataset(tmp_path, "wine")
    code, result, stderr = kfyaml_run(EXAMPLES / "training_pipeline.yaml", tmp_path / "w", "--param",
                                      f"source={source}", "--param", "threshold=0.5", env=venvs)
    assert code == 0, stderr
    assert result["outputs"]["parameters"] == _expected(source)
    assert states(result)["deploy"] == "succeeded"  # the dry-run deploy
    assert states(result)["notify"] == "succeeded"


def test_inline_container_steps_run_as_commands(tmp_path, venvs):
    source = write_dataset(tmp_path, "breast_cancer")
    code, result, stderr = kfyaml_run(EXAMPLES / "basic.yaml", tmp_path / "w", "--param", f"input_path={source}",
                                      env=venvs)
    assert code == 0, stderr
    assert "note: inline container steps run as commands on this machine; their images" in stderr
    assert set(states(result).values()) == {"succeeded"}
    model_dir = result["outputs"]["artifacts"]["model"][0]
    import joblib

    assert hasattr(joblib.load(model_dir), "predict")


def test_independent_steps_overlap(tmp_path, venvs):
    code, result, stderr = kfyaml_run(_pipeline(tmp_path, SLEEPY), tmp_path / "w", env=venvs)
    assert code == 0, stderr
    left, right, join = (result["steps"][n] for n in ("left", "right", "join"))
    assert left["started"] < right["finished"] and right["started"] < left["finished"]  # they overlapped
    assert join["started"] >= max(left["finished"], right["finished"])
    assert result["outputs"]["parameters"] == {"joined": "1.0-a"}


def test_one_worker_runs_steps_one_at_a_time(tmp_path, venvs):
    code, result, _ = kfyaml_run(_pipeline(tmp_path, SLEEPY), tmp_path / "w", "--max-workers", "1",
                                 "--param", "seconds=0.5", env=venvs)
    assert code == 0
    left, right = result["steps"]["left"], result["steps"]["right"]
    assert left["finished"] <= right["started"] or right["finished"] <= left["started"]


def test_gpu_steps_never_outnumber_the_gpus(tmp_path, venvs):
    text = SLEEPY.replace("    with: {seconds: \"${{ params.seconds }}\"}\n",
                          "    with: {seconds: \"${{ params.seconds }}\"}\n    resources: {gpu: 1}\n", 1)
    text = text.replace("    with: {seconds: \"${{ params.seconds }}\", tag: \"${{ params.tag }}\"}\n",
                        "    with: {seconds: \"${{ params.seconds }}\", tag: \"${{ params.tag }}\"}\n    resources: {gpu: 1}\n")
    code, result, _ = kfyaml_run(_pipeline(tmp_path, text), tmp_path / "w", "--param", "seconds=0.5",
                                 env={**venvs, "KFYAML_GPUS": "1"})
    assert code == 0
    left, right = result["steps"]["left"], result["steps"]["right"]
    assert left["finished"] <= right["started"] or right["finished"] <= left["started"]


# ---- the cache ------------------------------------------------------------------------------------

def test_second_run_executes_nothing_and_a_param_reruns_only_its_dependents(tmp_path, venvs):
    pipeline, work = _pipeline(tmp_path, SLEEPY), tmp_path / "w"
    assert kfyaml_run(pipeline, work, "--param", "seconds=0.1", env=venvs)[0] == 0
    code, result, _ = kfyaml_run(pipeline, work, "--param", "seconds=0.1", env=venvs)
    assert code == 0 and set(states(result).values()) == {"cached"}
    code, result, _ = kfyaml_run(pipeline, work, "--param", "seconds=0.1", "--param", "tag=b", env=venvs)
    assert states(result) == {"left": "cached", "right": "succeeded", "join": "succeeded"}
    assert result["outputs"]["parameters"] == {"joined": "0.1-b"}
    code, result, _ = kfyaml_run(pipeline, work, "--param", "seconds=0.1", "--no-cache", env=venvs)
    assert set(states(result).values()) == {"succeeded"}


def test_damaged_cache_entries_are_ignored(tmp_path, venvs):
    source = write_dataset(tmp_path, "breast_cancer")
    work = tmp_path / "w"
    args = ("--param", f"input_path={source}")
    assert kfyaml_run(EXAMPLES / "basic.yaml", work, *args, env=venvs)[0] == 0
    entries = sorted((work / "cache").iterdir())
    with_files = [e for e in entries if (e / "files").exists()]
    # Corrupt one artifact, and leave another entry half written (no entry.json).
    damaged = with_files[0]
    victim = next(p for p in (damaged / "files").rglob("*") if p.is_file())
    victim.write_bytes(victim.read_bytes() + b"tampered")
    (with_files[1] / "entry.json").unlink()
    (work / "cache" / ".tmp-leftover").mkdir()
    code, result, stderr = kfyaml_run(EXAMPLES / "basic.yaml", work, *args, env=venvs)
    assert code == 0, stderr
    assert sorted(states(result).values()).count("succeeded") >= 2
    logs = "".join(open(s["log"]).read() for s in result["steps"].values() if s["log"])
    assert "does not match its hash); ignoring it and running the step" in logs
    code, result, _ = kfyaml_run(EXAMPLES / "basic.yaml", work, *args, env=venvs)
    assert set(states(result).values()) == {"cached"}  # the entries were rewritten whole


# ---- failures ---------------------------------------------------------------------------------------

FAILING = """
name: failing
steps:
  flaky:
    python: |
      def flaky() -> int:
          raise RuntimeError("boom")
    retry: {max: 2, backoff: 0s}
  after:
    python: |
      def after(x: int) -> int:
          return x
    with: {x: "${{ steps.flaky.outputs.Output }}"}
  independent:
    python: |
      def independent() -> str:
          return "ran"
finally:
  report:
    python: |
      def report(status: dict) -> str:
          return status["state"]
    with: {status: "${{ pipeline.status }}"}
"""


def test_failed_step_retries_skips_dependents_and_runs_finally(tmp_path, venvs):
    code, result, stderr = kfyaml_run(_pipeline(tmp_path, FAILING), tmp_path / "w", env=venvs)
    assert code == 1
    assert states(result) == {"flaky": "failed", "after": "upstream_failed", "independent": "succeeded",
                              "report": "succeeded"}
    assert result["steps"]["flaky"]["path"] == "exit-handler-1/flaky"  # its place in the IR, for tools
    flaky = result["steps"]["flaky"]
    assert flaky["attempts"] == 3
    assert open(flaky["log"]).read().count("RuntimeError: boom") == 3
    assert result["steps"]["report"]["outputs"] == {"Output": "FAILED"}
    assert f"step flaky failed: exited with 1; log: {flaky['log']}" in stderr


def test_a_killed_run_completes_from_the_cache(tmp_path, venvs):
    import os

    pipeline = _pipeline(tmp_path, SLEEPY.replace("time.sleep(seconds)\n          return tag",
                                                  "time.sleep(seconds * 30)\n          return tag"))
    work = tmp_path / "w"
    proc = subprocess.Popen([sys.executable, "-m", "kfyaml.compiler.cli", "run", str(pipeline), "--workdir", str(work)],
                            env={**os.environ, **venvs}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not any(e.name != ".tmp" and not e.name.startswith(".tmp")
                                             for e in (work / "cache").glob("*")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # `left` is cached, `right` is still sleeping
    proc.wait()
    # Rerun: `left` is unchanged and comes from the cache; `right` (now its short version) runs.
    code, result, _ = kfyaml_run(_pipeline(tmp_path, SLEEPY), work, env=venvs)
    assert code == 0
    assert states(result)["left"] == "cached"
    assert states(result)["right"] == "succeeded"


# ---- input errors -------------------------------------------------------------------------------------

def test_bad_params(tmp_path):
    pipeline = _pipeline(tmp_path, SLEEPY)
    code, _, stderr = kfyaml_run(pipeline, tmp_path / "w", "--param", "seconds=soon")
    assert (code, stderr.strip()) == (2, "kfyaml run: --param seconds=soon: seconds must be a number")
    code, _, stderr = kfyaml_run(pipeline, tmp_path / "w", "--param", "secs=1")
    assert (code, stderr.strip()) == (2, "kfyaml run: the pipeline has no param secs; its params are: seconds, tag")
    code, _, stderr = kfyaml_run(pipeline, tmp_path / "w", "--param", "nonsense")
    assert (code, stderr.strip()) == (2, "kfyaml: --param takes NAME=VALUE, not 'nonsense'")


def test_a_pipeline_with_errors_does_not_run(tmp_path):
    code, result, stderr = kfyaml_run(_pipeline(tmp_path, "name: p\nsteps:\n  a: {imag: x}\n"), tmp_path / "w")
    assert code == 1 and result is None
    assert 'unknown key "imag"; did you mean "image"? [KY202]' in stderr


def test_loop_parallelism_limit(tmp_path, venvs):
    pipeline = _pipeline(tmp_path, """
name: limited
steps:
  nap:
    for_each: [1, 2, 3]
    max_parallel: 1
    python: |
      def nap(n: int) -> int:
          import time
          time.sleep(0.3)
          return n * 10
    with: {n: "${{ item }}"}
  total:
    python: |
      def total(values: list) -> int:
          return sum(values)
    with: {values: "${{ steps.nap.outputs.Output }}"}
outputs:
  total: ${{ steps.total.outputs.Output }}
""")
    code, result, _ = kfyaml_run(pipeline, tmp_path / "w", env=venvs)
    assert code == 0
    spans = sorted((s["started"], s["finished"]) for s in result["steps"].values() if s["path"].endswith("/nap"))
    assert len(spans) == 3
    assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:], strict=False))  # one at a time
    assert result["outputs"]["parameters"] == {"total": 60}


def test_live_view_lists_every_step(tmp_path):
    """On a terminal the progress is a live rich table; here it is rendered to a string."""
    import io

    from rich.console import Console

    from kfyaml.runner.display import Progress
    from kfyaml.runner.records import StepRecord

    progress = Progress(stream=io.StringIO(), live=False)
    progress.records = {"prep": StepRecord("prep", "prep", "prep", "succeeded", started=1.0, finished=3.5),
                        "train": StepRecord("train", "train", "train", "running", started=2.0)}
    out = io.StringIO()
    Console(file=out, width=80).print(progress.table())
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    assert lines[1].split() == ["✓", "prep", "done", "2.5s"]
    assert lines[2].split()[:3] == ["…", "train", "running"]
