"""`kfyaml runs`: list, get (with each task's state and CI exit codes), cancel and retry, through kfp.Client
against the stand-in KFP API."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import EXAMPLES
from support.kfp_server import API, FakeKfp


def _kfyaml(*args):
    return subprocess.run([sys.executable, "-m", "kfyaml.compiler.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "KFP_TOKEN": "tok", "KFYAML_POLL_SECONDS": "0.01"}, timeout=120)


@pytest.fixture
def fake():
    server = FakeKfp(run_states=())
    yield server
    server.close()


def test_list_get_cancel_retry(fake):
    assert _kfyaml("submit", str(EXAMPLES / "basic.yaml"), "--host", fake.url, "--run-name", "one").returncode == 0
    run = fake.runs["run-1"]
    run["state"] = "FAILED"
    run["run_details"] = {"task_details": [{"task_id": "t1", "display_name": "preprocess", "state": "SUCCEEDED"},
                                           {"task_id": "t2", "display_name": "train", "state": "FAILED"}]}
    proc = _kfyaml("runs", "list", "--host", fake.url, "--json")
    assert proc.returncode == 0, proc.stderr
    assert [(r["id"], r["name"], r["state"]) for r in json.loads(proc.stdout)] == [("run-1", "one", "FAILED")]
    assert json.loads(_kfyaml("runs", "list", "--host", fake.url, "--json", "--state", "running").stdout) == []
    proc = _kfyaml("runs", "get", "run-1", "--host", fake.url)
    assert (proc.returncode, proc.stdout) == (1, "run-1  FAILED  one\n  SUCCEEDED  preprocess\n  FAILED     train\n")
    proc = _kfyaml("runs", "retry", "run-1", "--host", fake.url)
    assert (proc.returncode, proc.stdout) == (0, "run run-1 retried\n")
    assert ("POST", f"{API}/runs/run-1:retry") in fake.calls()
    proc = _kfyaml("runs", "get", "run-1", "--host", fake.url, "--json")
    assert proc.returncode == 3 and json.loads(proc.stdout)["state"] == "RUNNING"  # still going: 3
    proc = _kfyaml("runs", "cancel", "run-1", "--host", fake.url, "--json")
    assert (proc.returncode, json.loads(proc.stdout)) == (0, {"id": "run-1", "done": "cancelled"})
    assert ("POST", f"{API}/runs/run-1:terminate") in fake.calls()
    run["state"] = "SUCCEEDED"
    assert _kfyaml("runs", "get", "run-1", "--host", fake.url).returncode == 0
    proc = _kfyaml("runs", "get", "nothere", "--host", fake.url)
    assert proc.returncode == 1 and proc.stderr.startswith(f"kfyaml runs: the KFP API at {fake.url} answered 404")


def test_a_failed_run_on_page_two_is_found_by_the_servers_filter(fake):
    """`runs list --state FAILED` asks the server to filter (v2beta1's `state` field) and reads every page
    (issue 19, point 6): 150 runs, the failed one the oldest."""
    for n in range(150):
        fake.runs[f"run-{n}"] = {"run_id": f"run-{n}", "display_name": f"r{n}", "experiment_id": "exp-1",
                                 "state": "FAILED" if n == 0 else "SUCCEEDED"}
    proc = _kfyaml("runs", "list", "--host", fake.url, "--json", "--state", "FAILED")
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in json.loads(proc.stdout)] == ["run-0"]
    proc = _kfyaml("runs", "list", "--host", fake.url, "--json")
    assert len(json.loads(proc.stdout)) == 150
    listed = [r for r in fake.requests if r["method"] == "GET" and r["path"] == f"{API}/runs"]
    assert json.loads(listed[0]["query"]["filter"][0])["predicates"] == [
        {"key": "state", "operation": "EQUALS", "string_value": "FAILED"}]
    assert len(listed) == 1 + 2
