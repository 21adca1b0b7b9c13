"""`kfyaml run` reads like the pipeline: step ids as written, matrix cells, reasons, pending and cancelled steps."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import threading
import time

import pytest
from rich.console import Console

from kfyaml.compiler import api
from kfyaml.compiler.cli.execute import step_labels
from kfyaml.runner import display
from kfyaml.runner.engine import Run
from kfyaml.runner.records import Result, StepRecord
from kfyaml.runner.tracker import Tracker

VIEW = """
name: view
params:
  image: {type: string, default: "busybox:1.36"}
steps:
  prepare_data:
    image: ${{ params.image }}
    command: [sh, -c, 'echo prepared']
  train:
    matrix: {algorithm: [svm, forest], depth: [2]}
    image: alpine
    command: [sh, -c, 'echo "$0"', "${{ inputs.a }}"]
    inputs: {a: string}
    with: {a: "${{ matrix.algorithm }}"}
    needs: prepare_data
  flaky:
    image: alpine
    command: [sh, -c, 'exit 3']
    needs: prepare_data
  after_flaky:
    image: alpine
    command: [sh, -c, 'true']
    needs: flaky
  never:
    if: ${{ params.image == 'none' }}
    image: alpine
    command: [sh, -c, 'true']
finally:
  report:
    image: alpine
    command: [sh, -c, 'true']
"""


@pytest.fixture
def venvs(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def _compiled(tmp_path, text: str) -> api.Result:
    path = tmp_path / "pipeline.yaml"
    path.write_text(text)
    result = api.compile_file(str(path))
    assert result.ok, result.diagnostics
    return result


def test_labels_leave_out_kfp_wrappers_and_show_loop_items():
    tracker = Tracker({}, {"train-model": "train_model", "candidates": "candidates"}, lambda r: None)
    tracker.items["exit-handler-1/for-loop-2[0]"] = {"algorithm": "svm", "depth": 2}
    tracker.items["candidates[1]"] = 0.5
    tracker.items["for-loop-3[4]"] = "x" * 40
    assert tracker.label(("exit-handler-1", "for-loop-2[0]", "condition-4"), "train-model") == \
        "train_model[algorithm=svm, depth=2]"
    assert tracker.label(("candidates[1]",), "train-model") == "candidates[0.5]/train_model"
    assert tracker.label(("for-loop-3[4]",), "s") == "s[" + "x" * 21 + "...]"
    assert tracker.label(("scaled",), "scale-values") == "scaled/scale-values"  # a component file's own tasks


def test_a_run_lists_every_step_as_written_with_reasons(tmp_path, venvs):
    result = _compiled(tmp_path, VIEW)
    events: list[tuple[str, str]] = []
    notes: list[str] = []
    run = Run(result.pipeline_spec, {"image": "busybox:1.36"}, tmp_path / "work", use_cache=False,
              on_event=lambda r: events.append((r.label, r.state)), note=notes.append, labels=step_labels(result))
    outcome = run.execute()
    assert outcome.state == "failed"
    # Every step is listed as pending before anything runs.
    first = [label for label, state in events if state == "pending"]
    assert set(first) >= {"prepare_data", "flaky", "after_flaky", "never", "report"}
    seen = {r.label: (r.state, r.reason) for r in run.records}
    assert seen == {
        "prepare_data": ("succeeded", None),
        "train[algorithm=svm, depth=2]": ("succeeded", None),
        "train[algorithm=forest, depth=2]": ("succeeded", None),
        "flaky": ("failed", None),
        "after_flaky": ("upstream_failed", "upstream failed: flaky"),
        "never": ("skipped", "if: false"),
        "report": ("succeeded", None),
    }
    # The image note shows the image the param gave, not its placeholder.
    assert notes[0] == "inline container steps run as commands on this machine; their images (busybox:1.36, ...) " \
                       "are not used"


def test_summary_fits_the_terminal_and_names_logs_from_the_run(tmp_path):
    run_dir = tmp_path / "runs" / "r"
    records = [StepRecord("exit-handler-1/for-loop-2[0]/train", "train", "train[algorithm=gradient_boosting]",
                          "succeeded", started=1.0, finished=2.0, log=str(run_dir / "logs" / "a-very-long-name.log")),
               StepRecord("x", "x", "after", "upstream_failed", reason="upstream failed: train")]
    for width in (60, 80, 140):
        out = io.StringIO()
        console = Console(file=out, width=width)
        display.summary(records, Result("succeeded"), run_dir, stream=out, color=False, console=console)
        lines = out.getvalue().splitlines()
        assert lines[0] == f"run succeeded: {run_dir}"  # whole, whatever the width: it is copied from here
        assert max(len(line) for line in lines[1:]) <= width, (width, lines)
        text = out.getvalue()
        assert ("logs/a-very-long-name.log" in text) == (width >= 100)
        assert "upstream" in text and "train[algorithm" in text


def test_ctrl_c_cancels_running_and_waiting_steps(tmp_path, venvs):
    result = _compiled(tmp_path, """
name: slow
steps:
  sleepy:
    image: alpine
    command: [sh, -c, 'sleep 30']
  later:
    image: alpine
    command: [sh, -c, 'true']
    needs: sleepy
""")
    run = Run(result.pipeline_spec, {}, tmp_path / "work", use_cache=False, labels=step_labels(result))
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(run.execute()))
    worker.start()
    deadline = time.time() + 60
    while not any(r.state == "running" for r in run.records) and time.time() < deadline:
        time.sleep(0.05)
    started = time.time()
    run.cancel()
    worker.join(30)
    assert time.time() - started < 10  # the sleep was stopped, not waited for
    assert outcome[0].state == "cancelled"
    assert {r.label: r.state for r in run.records} == {"sleepy": "cancelled", "later": "cancelled"}


def test_ctrl_c_on_the_command_line_prints_the_summary_and_exits_130(tmp_path, venvs):
    path = tmp_path / "pipeline.yaml"
    path.write_text("name: slow\nsteps:\n  sleepy:\n    image: alpine\n    command: [sh, -c, 'sleep 30']\n")
    proc = subprocess.Popen([sys.executable, "-m", "kfyaml.compiler.cli", "run", str(path), "--workdir",
                             str(tmp_path / "w"), "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # as from a terminal: a shell's background job (CI, `cmd &`) starts with SIGINT ignored
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 60
    log = tmp_path / "w"
    while time.time() < deadline and not list(log.rglob("*.log")):
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert json.loads(out)["steps"]["sleepy"]["state"] == "cancelled"


def test_the_live_view_shows_what_fits_running_and_failed_first():
    progress = display.Progress(stream=io.StringIO(), live=False)
    states = ["succeeded"] * 60 + ["failed"] + ["running"] * 2 + ["pending"] * 37
    progress.records = {str(i): StepRecord(str(i), str(i), f"s{i}", state) for i, state in enumerate(states)}
    out = io.StringIO()
    Console(file=out, width=80).print(progress.table())
    lines = [line.split() for line in out.getvalue().splitlines()[1:]]
    assert len(lines) == 47  # 50 rows of screen, less the header and margins
    shown = [cells[1] for cells in lines[:-1]]
    assert {"s60", "s61", "s62"} <= set(shown)  # the failed and running steps
    assert lines[-1] == ["…", "and", "54", "more", "(17", "done,", "37", "pending)"]
