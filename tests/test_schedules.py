"""Schedules: `schedule:` checked statically, `submit --schedule` idempotent, `schedules` commands;
against the stand-in KFP API, through the real kfp.Client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from conftest import run_cli
from support.kfp_server import API, FakeKfp

PIPELINE = textwrap.dedent("""\
    name: nightly
    params:
      n: {type: int, default: 1}
    schedule:
      cron: "0 2 * * 1-5"
      timezone: Europe/Paris
      max_concurrency: 2
      catchup: false
      start: "2026-12-01T00:00:00+01:00"
      params: {n: 5}
    steps:
      a:
        image: alpine
        command: [echo, "${{ inputs.n }}"]
        inputs: {n: int}
        with: {n: "${{ params.n }}"}
    """)


@pytest.fixture
def fake():
    server = FakeKfp()
    yield server
    server.close()


def _kfyaml(*args, cwd):
    env = {**os.environ, "KFP_TOKEN": "tok"}
    return subprocess.run([sys.executable, "-m", "kfyaml.compiler.cli", *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=120)


def test_submit_schedule_creates_then_changes_nothing_then_updates_in_place(fake, tmp_path):
    (tmp_path / "p.yaml").write_text(PIPELINE)
    proc = _kfyaml("submit", "p.yaml", "--host", fake.url, "--schedule", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[-1] == "schedule nightly created (rr-1) in experiment Default"
    (created,) = [r["body"] for r in fake.requests if r["method"] == "POST" and r["path"] == f"{API}/recurringruns"]
    assert created["trigger"] == {"cron_schedule": {"cron": "0 0 2 * * 1-5", "start_time": "2026-11-30T23:00:00Z"}}
    assert (created["max_concurrency"], created["no_catchup"], created["mode"]) == (2, True, "ENABLE")
    assert created["runtime_config"] == {"parameters": {"n": 5}}
    assert created["display_name"] == "nightly" and created["pipeline_spec"]["pipelineInfo"]["name"] == "nightly"
    # The same again from CI: nothing created or deleted.
    proc = _kfyaml("submit", "p.yaml", "--host", fake.url, "--schedule", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[-1] == "schedule nightly is unchanged (rr-1)"
    assert list(fake.recurring) == ["rr-1"]
    # A changed cron replaces it: still one schedule of that name.
    (tmp_path / "p.yaml").write_text(PIPELINE.replace("0 2 * * 1-5", "30 3 * * *"))
    proc = _kfyaml("submit", "p.yaml", "--host", fake.url, "--schedule", cwd=tmp_path)
    assert proc.stderr.splitlines()[-1] == "schedule nightly updated (rr-2) in experiment Default"
    assert list(fake.recurring) == ["rr-2"]
    assert fake.recurring["rr-2"]["trigger"]["cron_schedule"]["cron"] == "0 30 3 * * *"
    # Sunday written as 7 reaches KFP as 0, which its scheduler (robfig/cron v1.2.0) reads.
    (tmp_path / "p.yaml").write_text(PIPELINE.replace("0 2 * * 1-5", "0 2 * * 7"))
    proc = _kfyaml("submit", "p.yaml", "--host", fake.url, "--schedule", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert fake.recurring["rr-3"]["trigger"]["cron_schedule"]["cron"] == "0 0 2 * * 0"


def test_schedules_list_pause_resume_delete(fake, tmp_path):
    (tmp_path / "p.yaml").write_text(PIPELINE.replace('cron: "0 2 * * 1-5"', "interval: 6h"))
    assert _kfyaml("submit", "p.yaml", "--host", fake.url, "--schedule-name", "six-hourly", cwd=tmp_path).returncode == 0
    assert fake.recurring["rr-1"]["trigger"]["periodic_schedule"]["interval_second"] == 21600
    proc = _kfyaml("schedules", "list", "--host", fake.url, "--json", cwd=tmp_path)
    assert json.loads(proc.stdout) == [{"id": "rr-1", "name": "six-hourly", "enabled": True, "trigger": "every 21600s"}]
    proc = _kfyaml("schedules", "pause", "six-hourly", "--host", fake.url, cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "schedule six-hourly paused (rr-1)\n")
    assert fake.recurring["rr-1"]["mode"] == "DISABLE"
    assert json.loads(_kfyaml("schedules", "list", "--host", fake.url, "--json", cwd=tmp_path).stdout)[0]["enabled"] is False
    assert _kfyaml("schedules", "resume", "rr-1", "--host", fake.url, cwd=tmp_path).returncode == 0
    assert fake.recurring["rr-1"]["mode"] == "ENABLE"
    assert _kfyaml("schedules", "delete", "six-hourly", "--host", fake.url, cwd=tmp_path).returncode == 0
    assert fake.recurring == {}
    proc = _kfyaml("schedules", "pause", "six-hourly", "--host", fake.url, cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (1, f"kfyaml schedules: no schedule named 'six-hourly' at {fake.url}\n")


def test_a_bad_schedule_is_a_located_diagnostic(tmp_path):
    cases = {
        '      cron: "61 2 * * *"': "5:9: error: `61 2 * * *`: the minute field: `61` ends above the minute's maximum, "
                                  "59 [KY315]",
        '      cron: "0 0 2 * * *"': "5:9: error: `0 0 2 * * *`: it has 6 fields; write five: minute hour day-of-month "
                                    "month day-of-week (`0 2 * * 1-5`). kfyaml adds KFP's seconds field [KY315]",
        '      cron: "0 0 * * 5#3"': "5:9: error: `0 0 * * 5#3`: `#` (the nth weekday of the month) is not in the grammar "
                                    "KFP's scheduler reads (robfig/cron v1.2.0): write the days themselves, or schedule "
                                    "more often and let a step check the date [KY315]",
    }
    for line, expected in cases.items():
        (tmp_path / "p.yaml").write_text(PIPELINE.replace('cron: "0 2 * * 1-5"', line.strip()))
        proc = run_cli("lint", "p.yaml", "-q", cwd=tmp_path)
        assert proc.stdout.splitlines() == [f"p.yaml:{expected}"], proc.stdout
    (tmp_path / "p.yaml").write_text(PIPELINE.replace("Europe/Paris", "Mars/Olympus"))
    assert run_cli("lint", "p.yaml", "-q", cwd=tmp_path).stdout == (
        'p.yaml:6:13: error: "Mars/Olympus" is not a time zone; write an IANA name such as `Europe/Paris` or `UTC` [KY315]\n')


def _recurring(fake, n: int, name: str, experiment: str = "exp-1") -> None:
    fake.recurring[f"rr-x{n}"] = {"recurring_run_id": f"rr-x{n}", "display_name": name, "experiment_id": experiment,
                                  "mode": "ENABLE", "status": "ENABLED",
                                  "trigger": {"cron_schedule": {"cron": "0 0 2 * * *"}}}


def test_every_page_of_schedules_is_read(fake, tmp_path):
    """131 recurring runs are two pages of KFP's answer (issue 19, point 6): all listed, and one on
    page 2 is found by name."""
    for n in range(131):
        _recurring(fake, n, f"schedule-{n:03d}")
    proc = _kfyaml("schedules", "list", "--host", fake.url, "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) == 131
    proc = _kfyaml("schedules", "pause", "schedule-130", "--host", fake.url, cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "schedule schedule-130 paused (rr-x130)\n")
    assert fake.recurring["rr-x130"]["mode"] == "DISABLE"
    pages = [r for r in fake.requests if r["method"] == "GET" and r["path"] == f"{API}/recurringruns"]
    assert len(pages) == 4  # two pages for the list, two for the pause
    assert fake.violations == []


def test_one_name_in_two_experiments_asks_for_the_experiment(fake, tmp_path):
    _recurring(fake, 1, "nightly", "exp-1")
    _recurring(fake, 2, "nightly", "exp-2")
    proc = _kfyaml("schedules", "pause", "nightly", "--host", fake.url, cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (1, f"kfyaml schedules: 2 schedules are named 'nightly' at {fake.url}, in "
                                                 "experiments exp-1, exp-2: give --experiment, or the schedule's id\n")
    assert {r["mode"] for r in fake.recurring.values()} == {"ENABLE"}  # neither was paused


def test_a_replacement_that_fails_to_create_leaves_the_old_schedule_running(fake, tmp_path):
    (tmp_path / "p.yaml").write_text(PIPELINE)
    assert _kfyaml("submit", "p.yaml", "--host", fake.url, "--schedule", cwd=tmp_path).returncode == 0
    fake.refuse_creates = True
    (tmp_path / "p.yaml").write_text(PIPELINE.replace("0 2 * * 1-5", "30 3 * * *"))
    proc = _kfyaml("submit", "p.yaml", "--host", fake.url, "--schedule", cwd=tmp_path)
    assert proc.returncode == 1
    assert list(fake.recurring) == ["rr-1"]  # the old one, untouched
    assert fake.recurring["rr-1"]["trigger"]["cron_schedule"]["cron"] == "0 0 2 * * 1-5"
    assert not [r for r in fake.requests if r["method"] == "DELETE"]
