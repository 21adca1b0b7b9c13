"""`kfyaml run` under load and faults: concurrent cache writers, tampered entries, signals, file limits."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow  # runs pipelines with real processes and signals

SAME_STEPS = """
name: same
steps:
  many:
    for_each: {items}
    image: alpine
    command: [python3, -c, "import sys; open(sys.argv[1], 'wb').write(bytes(1 << 20))", "${{{{ outputs.blob }}}}"]
    outputs: {{blob: dataset}}
"""


def _run(cwd, *args, env=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kfyaml.compiler.cli", "run", "pipeline.yaml", "--json", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})}, **kw)


def test_identical_steps_and_concurrent_runs_share_the_cache_without_failing(tmp_path):
    # 100 iterations of one step: every one has the same cache key, and they store at the same time.
    (tmp_path / "pipeline.yaml").write_text(SAME_STEPS.format(items=json.dumps([0] * 100)))
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    proc = _run(tmp_path, "--max-workers", "16", env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(list((tmp_path / ".kfyaml" / "cache").iterdir())) == 1
    # Two runs on one workdir at once.
    (tmp_path / "pipeline.yaml").write_text(SAME_STEPS.format(items=json.dumps(list(range(30)))))
    procs = [subprocess.Popen([sys.executable, "-m", "kfyaml.compiler.cli", "run", "pipeline.yaml", "-q",
                               "--max-workers", "8"], cwd=tmp_path, env={**os.environ, **env},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r[1][-2000:] for r in results]


def test_a_tampered_cached_parameter_is_not_served(tmp_path):
    (tmp_path / "pipeline.yaml").write_text("""
name: tamper
steps:
  count:
    image: alpine
    command: [sh, -c, 'echo 3 > "$0"', "${{ outputs.n }}"]
    outputs: {n: int}
""")
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert _run(tmp_path, env=env).returncode == 0
    entry = next((tmp_path / ".kfyaml" / "cache").glob("*/entry.json"))
    manifest = json.loads(entry.read_text())
    manifest["parameters"]["n"] = 999
    entry.write_text(json.dumps(manifest))
    proc = _run(tmp_path, env=env)
    step = json.loads(proc.stdout)["steps"]["count"]
    assert (step["state"], step["outputs"]) == ("succeeded", {"n": 3})
    assert "its output parameters do not match their hash" in open(step["log"]).read()


def test_cached_artifacts_are_linked_not_copied(tmp_path):
    (tmp_path / "pipeline.yaml").write_text(SAME_STEPS.format(items="[0]"))
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert _run(tmp_path, env=env).returncode == 0
    proc = _run(tmp_path, env=env)
    assert json.loads(proc.stdout)["steps"]["many[0]"]["state"] == "cached"
    stored = next((tmp_path / ".kfyaml" / "cache").glob("*/files/blob"))
    assert stored.stat().st_nlink == 2  # the cache's file and the second run's output: one inode


def test_many_queued_steps_stay_within_the_file_limit(tmp_path):
    (tmp_path / "pipeline.yaml").write_text("""
name: wide
steps:
  each:
    for_each: %s
    image: alpine
    command: ["true"]
""" % json.dumps(list(range(400))))

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))

    proc = _run(tmp_path, "--max-workers", "4", env={"XDG_CACHE_HOME": str(tmp_path / "xdg")}, preexec_fn=low_limit)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(json.loads(proc.stdout)["steps"]) == 400


STUBBORN = """
name: stubborn
steps:
  stubborn:
    image: alpine
    command: [sh, -c, 'trap "" TERM; (sleep %d &) ; echo started; while true; do sleep 1; done']
"""


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_stopping_a_run_stops_every_step_process_and_prints_the_summary(tmp_path, sig, code):
    seconds = 1000 + os.getpid() % 1000 + sig  # a sleep no other test runs, to look for afterwards
    (tmp_path / "pipeline.yaml").write_text(STUBBORN % seconds)
    proc = subprocess.Popen([sys.executable, "-m", "kfyaml.compiler.cli", "run", "pipeline.yaml", "--json"],
                            cwd=tmp_path, env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 60
    while time.time() < deadline and not any("started" in p.read_text() for p in tmp_path.rglob("*.log")):
        time.sleep(0.1)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert json.loads(out)["steps"]["stubborn"]["state"] == "cancelled"
    time.sleep(0.5)
    leftovers = subprocess.run(["pgrep", "-f", f"sleep {seconds}"], capture_output=True, text=True).stdout.split()
    assert leftovers == []


def test_a_workdir_that_cannot_be_written_is_a_usage_error_not_a_traceback(tmp_path):
    (tmp_path / "pipeline.yaml").write_text("name: x\nsteps:\n  a: {image: alpine, command: ['true']}\n")
    (tmp_path / "file").write_text("")
    proc = _run(tmp_path, "--workdir", "file/w")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "kfyaml: cannot write the run folder file/w: Not a directory; choose another with --workdir\n"


def test_a_store_killed_midway_leaves_nothing_behind_for_long(tmp_path):
    """kill -9 during a cache store leaves a `.tmp-*` folder; the next store removes those over an hour old."""
    (tmp_path / "pipeline.yaml").write_text(SAME_STEPS.format(items="[0]"))
    cache = tmp_path / ".kfyaml" / "cache"
    (cache / ".tmp-killed" / "files").mkdir(parents=True)
    (cache / ".tmp-recent").mkdir()
    hours_ago = time.time() - 2 * 3600
    os.utime(cache / ".tmp-killed", (hours_ago, hours_ago))
    assert _run(tmp_path, env={"XDG_CACHE_HOME": str(tmp_path / "xdg")}).returncode == 0
    assert sorted(p.name for p in cache.glob(".tmp-*")) == [".tmp-recent"]  # another store may be writing that one
