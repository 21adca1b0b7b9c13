"""`kfyaml submit` through kfp.Client against a stand-in KFP API server on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import yaml
from conftest import EXAMPLES
from support.kfp_server import API, FakeKfp

from kfyaml.compiler import api

TOUR = EXAMPLES / "language_tour.yaml"


def _submit(fake: FakeKfp, *args: str, pipeline=TOUR):
    env = {**os.environ, "KFYAML_POLL_SECONDS": "0.01", "KFP_TOKEN": "env-token-s3cret"}
    return subprocess.run([sys.executable, "-m", "kfyaml.compiler.cli", "submit", str(pipeline), "--host", fake.url, *args],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def fake():
    server = FakeKfp()
    yield server
    server.close()


def test_submit_creates_the_experiment_and_the_run(fake):
    proc = _submit(fake, "--experiment", "nightly", "--run-name", "tour-1", "--param", "threshold=0.7",
                   "--param", "values=[4, 5]")
    assert proc.returncode == 0, proc.stderr
    # kfyaml's own check that this is the API (and takes the token), then kfp.Client's calls.
    assert fake.calls() == [("GET", f"{API}/healthz"), ("GET", f"{API}/healthz"), ("GET", f"{API}/experiments"),
                            ("POST", f"{API}/experiments"), ("POST", f"{API}/runs")]
    assert fake.requests[3]["body"] == {"display_name": "nightly"}
    run = fake.requests[4]["body"]
    assert run["display_name"] == "tour-1" and run["experiment_id"] == "exp-1"
    assert run["runtime_config"] == {"parameters": {"threshold": 0.7, "values": [4, 5]}}
    compiled = yaml.safe_load(api.compile_file(str(TOUR)).ir_text())
    assert run["pipeline_spec"] == compiled  # exactly the IR kfyaml compiles
    assert all(r["auth"] == "Bearer env-token-s3cret" for r in fake.requests)
    assert "s3cret" not in proc.stdout + proc.stderr
    assert f"submitted run run-1 (tour-1) in experiment nightly: {fake.url}/#/runs/details/run-1" in proc.stderr


def test_an_existing_experiment_is_reused(fake):
    fake.experiments.append({"experiment_id": "exp-7", "display_name": "Default"})
    assert _submit(fake).returncode == 0
    assert ("POST", f"{API}/experiments") not in fake.calls()
    assert fake.requests[-1]["body"]["experiment_id"] == "exp-7"


def test_pipeline_upload_then_new_versions(fake):
    assert _submit(fake, "--pipeline", "tour").returncode == 0
    upload = next(r for r in fake.requests if r["path"] == f"{API}/pipelines/upload")
    assert upload["query"]["name"] == ["tour"]
    assert yaml.safe_load(upload["body"]["uploadfile"]) == yaml.safe_load(api.compile_file(str(TOUR)).ir_text())
    run = fake.requests[-1]["body"]
    assert run["pipeline_version_reference"] == {"pipeline_id": "pipeline-1", "pipeline_version_id": "pipeline-1-v1"}
    assert "pipeline_spec" not in run
    proc = _submit(fake, "--pipeline", "tour", "--version", "v2")
    assert proc.returncode == 0, proc.stderr
    version = next(r for r in fake.requests if r["path"] == f"{API}/pipelines/upload_version")
    assert (version["query"]["name"], version["query"]["pipelineid"]) == (["v2"], ["pipeline-1"])
    assert fake.requests[-1]["body"]["pipeline_version_reference"]["pipeline_version_id"] == "pipeline-1-v2"
    assert "uploaded version v2 of pipeline tour (pipeline-1-v2)" in proc.stderr


@pytest.mark.parametrize("states, code", [
    (["PENDING", "RUNNING", "SUCCEEDED"], 0),
    (["RUNNING", "FAILED"], 1),
    (["RUNNING", "SKIPPED"], 1),  # (v2beta1 has no ERROR state: the API check refuses it)
    (["SKIPPED"], 1),
    (["RUNNING", "CANCELING", "CANCELED"], 1),   # kfp's own wait would loop here
])
def test_wait_follows_the_run_to_its_end(states, code):
    fake = FakeKfp(run_states=states)
    try:
        proc = _submit(fake, "--wait")
    finally:
        fake.close()
    assert proc.returncode == code, proc.stderr
    assert proc.stderr.splitlines()[-1] == f"run run-1: {states[-1]}"
    assert [c for c in fake.calls() if c[1] == f"{API}/runs/run-1"] == [("GET", f"{API}/runs/run-1")] * len(states)


def test_wait_times_out():
    fake = FakeKfp(run_states=["RUNNING"] * 1000)
    try:
        proc = _submit(fake, "--wait", "--timeout", "0.2")
    finally:
        fake.close()
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1] == "run run-1 was still RUNNING after 0.2s; it goes on without kfyaml waiting"


def test_unreachable_host_and_bad_params(fake):
    proc = subprocess.run([sys.executable, "-m", "kfyaml.compiler.cli", "submit", str(TOUR), "--host",
                           "http://127.0.0.1:9"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1].startswith("kfyaml submit: cannot reach the KFP API at http://127.0.0.1:9:")
    proc = _submit(fake, "--param", "threshold=high")
    assert (proc.returncode, proc.stderr.strip()) == (2, "kfyaml submit: --param threshold=high: threshold must be a number")
    assert fake.requests == []


@pytest.mark.parametrize("mode, message", [
    ("html", "kfyaml submit: {url} answered with an HTML page, not the KFP API: a sign-in page of an auth proxy, "
             "or the wrong --host? (the KFP API answers JSON at /apis/v2beta1/healthz)"),
    ("unauthorized", "kfyaml submit: the KFP API at {url} refused the credentials (401 Unauthorized); give a valid "
                     "token in KFP_TOKEN (or --token-file)"),
])
def test_a_server_that_is_not_the_api_or_refuses_the_token_fails_at_once_and_says_why(mode, message):
    server = FakeKfp(mode=mode)
    try:
        started = time.monotonic()
        proc = _submit(server, "--wait")
        assert time.monotonic() - started < 30
        assert proc.returncode == 1
        assert proc.stderr.splitlines() == [message.format(url=server.url)]
        assert "s3cret" not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    finally:
        server.close()


def test_a_token_echoed_by_the_server_is_never_printed(tmp_path):
    server = FakeKfp()
    server.answer = lambda *a: (500, {"error": "boom for Bearer env-token-s3cret"})
    try:
        proc = _submit(server)
        assert proc.returncode == 1
        assert "s3cret" not in proc.stderr and "<token>" in proc.stderr
    finally:
        server.close()
    token = tmp_path / "token"
    token.write_text("file-token-s3cret\n")
    fake_ok = FakeKfp()
    try:
        proc = _submit(fake_ok, "--token-file", str(token))
        assert proc.returncode == 0, proc.stderr
        assert fake_ok.requests[-1]["auth"] == "Bearer file-token-s3cret"
        proc = _submit(fake_ok, "--token", "argv-token-s3cret")
        assert proc.stderr.startswith("kfyaml submit: warning: --token is visible to other users of this machine (ps)")
    finally:
        fake_ok.close()


def test_the_stand_in_server_refuses_what_kfps_api_description_does_not_allow():
    """The OpenAPI check is live: a run with a field v2beta1 does not have, and an enum value it
    does not know, are caught (400 for the request; and the test using the server fails on close)."""
    import json as json_module
    import urllib.error
    import urllib.request

    server = FakeKfp()
    body = json_module.dumps({"display_name": "x", "experiment_id": "e", "pipelinespec": {}}).encode()
    request = urllib.request.Request(f"{server.url}{API}/runs", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    assert server.violations == [f"POST {API}/runs.pipelinespec: not a field of V2beta1Run"]
    with pytest.raises(AssertionError, match="not the KFP v2beta1 API"):
        server.close()
