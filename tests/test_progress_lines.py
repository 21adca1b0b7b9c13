"""`kfyaml:progress {JSON}` lines: what a step reports while it runs, shown live and kept in run.json (issue 22)."""

import json
import textwrap

import pytest
from conftest import run_cli

from kfyaml.runner.progress_lines import parse, text


def test_the_line_format():
    assert parse('kfyaml:progress {"epoch": 2, "epochs": 5, "loss": 0.25, "rows_per_second": 1234.5}') == {
        "epoch": 2, "epochs": 5, "loss": 0.25, "rows_per_second": 1234.5}
    assert parse("kfyaml:progress [1, 2]") is None  # an object only
    assert parse("kfyaml:progress {broken") is None
    assert parse('progress {"epoch": 1}') is None
    assert parse("kfyaml:progress " + json.dumps({"x": "y" * 5000})) is None  # too long to be progress
    assert text({"epoch": 2, "epochs": 5, "loss": 0.123456, "rows_per_second": 1234.5}) == \
        "epoch 2/5 · loss 0.1235 · 1,234 rows/s"
    assert text({"step": 40, "of": 100}) == "step 40 · of 100"


@pytest.mark.slow
def test_a_steps_progress_is_shown_while_it_runs_and_kept(tmp_path):
    (tmp_path / "p.yaml").write_text(textwrap.dedent("""\
        name: progress
        steps:
          fit:
            python: |
              def fit():
                  import json, time
                  for epoch in range(1, 4):
                      time.sleep(0.6)
                      print("kfyaml:progress " + json.dumps({"epoch": epoch, "epochs": 3, "loss": 1 / epoch}), flush=True)
                  time.sleep(0.6)
        """))
    done = run_cli("run", "p.yaml", "--workdir", "w", cwd=tmp_path)  # through a pipe: one line per change
    assert done.returncode == 0, done.stderr
    shown = [line for line in done.stderr.splitlines() if "epoch" in line]
    assert [line.split("· ", 1)[1] for line in shown] == ["epoch 1/3 · loss 1", "epoch 2/3 · loss 0.5",
                                                           "epoch 3/3 · loss 0.3333"]
    record = json.loads(next((tmp_path / "w" / "runs").iterdir()).joinpath("run.json").read_text())
    assert record["steps"][0]["progress"] == {"epoch": 3, "epochs": 3, "loss": 1 / 3}
