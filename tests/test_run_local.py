"""`kfyaml run` on a user's machine: their Python environment, their paths, timeouts, secrets, failures.

Each test builds what a user has (a virtualenv with their packages, a project
folder with data and scripts, an env file) and runs the real command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow  # end to end: builds environments and runs pipelines


@pytest.fixture
def user_venv(tmp_path, monkeypatch):
    """The usual setup: a virtualenv holding the user's packages (here `kfyaml_marker` 1.0), seeing the
    Python that has kfyaml through --system-site-packages, as `pip install` into a venv would leave it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    venv = tmp_path / "user-venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3.*/site-packages"))
    (site / "kfyaml_marker.py").write_text("WHERE = 'the user venv'\n")
    dist = site / "kfyaml_marker-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: kfyaml-marker\nVersion: 1.0\n")
    (dist / "RECORD").write_text("")
    return venv


MARKER_PIPELINE = """
name: marker
steps:
  shell:
    image: python:3.11
    command: [python, -c, "import kfyaml_marker, sys; open(sys.argv[1], 'w').write(kfyaml_marker.WHERE)", "${{ outputs.where }}"]
    outputs: {where: string}
  pythonic:
    python: |
      def pythonic() -> str:
          import kfyaml_marker
          return kfyaml_marker.WHERE
    packages: [kfyaml-marker>=1.0]
"""


def _kfyaml(python, *args, cwd, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "kfyaml.compiler.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env=env)


def test_steps_see_the_packages_of_the_virtualenv_kfyaml_runs_in_even_offline(user_venv, tmp_path):
    (tmp_path / "pipeline.yaml").write_text(MARKER_PIPELINE)
    env = {**os.environ, "PIP_NO_INDEX": "1"}  # no network: the requirement is met, so the step starts anyway
    proc = _kfyaml(user_venv / "bin" / "python", "run", "pipeline.yaml", "--json", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    steps = json.loads(proc.stdout)["steps"]
    assert steps["shell"]["outputs"] == {"where": "the user venv"}
    assert steps["pythonic"]["outputs"] == {"Output": "the user venv"}
    # Used from the user's venv, not installed again into the step's.
    assert list((tmp_path / "xdg" / "kfyaml" / "venvs").glob("*/lib/python3.*/site-packages/kfyaml_marker*")) == []


def test_python_chooses_another_environment_for_the_steps(user_venv, tmp_path):
    (tmp_path / "pipeline.yaml").write_text(MARKER_PIPELINE)
    proc = _kfyaml(sys.executable, "run", "pipeline.yaml", "--json", "--python", str(user_venv / "bin" / "python"),
                   cwd=tmp_path, env={**os.environ, "PIP_NO_INDEX": "1"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["steps"]["shell"]["outputs"] == {"where": "the user venv"}
    # Without it, the Python running kfyaml has no such package: the step says why it failed.
    proc = _kfyaml(sys.executable, "run", "pipeline.yaml", "--json", "--no-cache", cwd=tmp_path,
                   env={**os.environ, "PIP_NO_INDEX": "1"})
    assert proc.returncode == 1
    assert "  | ModuleNotFoundError: No module named 'kfyaml_marker'" in proc.stderr.splitlines()
    proc = _kfyaml(sys.executable, "run", "pipeline.yaml", "--python", str(tmp_path / "nothere"), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"kfyaml: {tmp_path / 'nothere'} is not a Python interpreter kfyaml can use")


PROJECT = """
name: project
params:
  table: {type: dataset, default: data/rows.csv}
  path: {type: string, default: data/rows.csv}
  gpus: {type: int, default: 1}
steps:
  script:
    image: python:3.11
    command: [python, count.py, "${{ outputs.n }}"]
    outputs: {n: int}
  by_param:
    image: alpine
    command: [sh, -c, 'wc -l < "$0" > "$1"', "${{ inputs.p }}", "${{ outputs.n }}"]
    inputs: {p: string}
    outputs: {n: int}
    with: {p: "${{ params.path }}"}
    resources: {gpu: "${{ params.gpus }}"}
  by_artifact:
    image: alpine
    command: [sh, -c, 'wc -l < "$0" > "$1"', "${{ inputs.d }}", "${{ outputs.n }}"]
    inputs: {d: dataset}
    outputs: {n: int}
    with: {d: "${{ params.table }}"}
"""


def test_relative_paths_are_the_pipeline_folders_wherever_kfyaml_runs_from(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "rows.csv").write_text("a,target\n1,0\n2,1\n")
    (project / "count.py").write_text("import sys\nopen(sys.argv[1], 'w').write(str(len(open('data/rows.csv').readlines())))\n")
    (project / "pipeline.yaml").write_text(PROJECT)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = _kfyaml(sys.executable, "run", "../project/pipeline.yaml", "--json", cwd=elsewhere,
                   env={**os.environ, "KFYAML_GPUS": "0"})
    assert proc.returncode == 0, proc.stderr
    steps = json.loads(proc.stdout)["steps"]
    # A script and a param path read from the project; a dataset param imported from it; a GPU count
    # from a param (which crashed the run before) is read as a number.
    assert [steps[s]["outputs"]["n"] for s in ("script", "by_param", "by_artifact")] == [3, 3, 3]
    assert "note: no GPU on this machine: steps that ask for GPUs run on the CPU, one at a time" in proc.stderr


def test_a_timeout_stops_the_step_and_its_children_and_retries_apply(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "pipeline.yaml").write_text("""
name: slow
steps:
  slow:
    image: alpine
    command: [sh, -c, 'sleep 30; echo never']
    timeout: 1s
    retry: {max: 1}
""")
    started = time.time()
    proc = _kfyaml(sys.executable, "run", "pipeline.yaml", "--json", cwd=tmp_path)
    assert time.time() - started < 20
    assert proc.returncode == 1
    step = json.loads(proc.stdout)["steps"]["slow"]
    assert (step["state"], step["error"], step["attempts"]) == ("timed_out", "timed out after 1s", 2)
    assert "never" not in open(step["log"]).read()


def test_a_failure_shows_the_end_of_its_log(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "pipeline.yaml").write_text("""
name: bad
steps:
  read:
    image: python:3.11
    command: [python, -c, "raise ValueError(\\"cannot read 'data/wine.csv' as CSV\\")"]
""")
    proc = _kfyaml(sys.executable, "run", "pipeline.yaml", "-q", cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert "  | ValueError: cannot read 'data/wine.csv' as CSV" in lines
    assert any(line.startswith("step read failed: exited with 1; log: ") for line in lines)


def test_secrets_come_from_an_env_file_or_this_environment_and_unmapped_settings_are_said(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "db.env").write_text("# the db secret\npassword='s3cret'\n")
    (tmp_path / "pipeline.yaml").write_text("""
name: secrets
steps:
  use:
    image: alpine
    command: [sh, -c, 'printf "%s/%s" "$DB_PASSWORD" "$API_TOKEN" > "$0"', "${{ outputs.seen }}"]
    outputs: {seen: string}
    kubernetes:
      secrets:
        - {name: db, env: {DB_PASSWORD: password}}
        - {name: api, env: {API_TOKEN: token}}
      volumes: [{claim: data, mount: /data}]
""")
    env = {**os.environ, "API_TOKEN": "from-env"}
    proc = _kfyaml(sys.executable, "run", "pipeline.yaml", "--json", "--secret", "db=db.env", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["steps"]["use"]["outputs"] == {"seen": "s3cret/from-env"}
    notes = [line for line in proc.stderr.splitlines() if line.startswith("note: ")]
    assert ("note: the volume claim 'data' (mounted at /data) is not mapped here; give it a folder with --volume "
            "data=DIR") in notes
    assert ("note: secret values not given with --secret are taken from variables of the same name in this "
            "environment (API_TOKEN, ...)") in notes
    assert "s3cret" not in proc.stderr + open(json.loads(proc.stdout)["steps"]["use"]["log"]).read()
    proc = _kfyaml(sys.executable, "run", "pipeline.yaml", "--secret", "db", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (2, "kfyaml: --secret takes NAME=FILE (an env file of KEY=VALUE lines), "
                                                 "not 'db'\n")


def test_cache_shows_its_size_and_prunes_what_was_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "pipeline.yaml").write_text("""
name: cached
params:
  n: {type: int, default: 1}
steps:
  make:
    image: alpine
    command: [sh, -c, 'echo "$0" > "$1"', "${{ inputs.n }}", "${{ outputs.out }}"]
    inputs: {n: int}
    outputs: {out: dataset}
    with: {n: "${{ params.n }}"}
""")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    for n in ("1", "2"):
        assert _kfyaml(sys.executable, "run", "pipeline.yaml", "-q", "--param", f"n={n}", cwd=tmp_path, env=env).returncode == 0
    entries = sorted((tmp_path / ".kfyaml" / "cache").glob("*/entry.json"))
    assert len(entries) == 2
    week_ago = time.time() - 8 * 86400
    os.utime(entries[0], (week_ago, week_ago))
    shown = _kfyaml(sys.executable, "cache", cwd=tmp_path, env=env).stdout.splitlines()
    assert shown[0].startswith("results: 2 (") and shown[0].endswith(") in .kfyaml/cache")
    proc = _kfyaml(sys.executable, "cache", "prune", "--older-than", "7d", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("results: removed 1 unused for 7d (")
    assert [p.exists() for p in entries] == [False, True]
    # A run that hits the cache marks the entry used, so it survives the next prune.
    assert _kfyaml(sys.executable, "run", "pipeline.yaml", "-q", "--param", "n=2", cwd=tmp_path, env=env).returncode == 0
    assert time.time() - entries[1].stat().st_mtime < 60


def test_volumes_and_mounted_secrets_are_linked_at_their_mount_paths_while_steps_run(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    data = tmp_path / "local-data"
    data.mkdir()
    (data / "rows.csv").write_text("a\n1\n2\n")
    (tmp_path / "tls.env").write_text("cert=CERT\n")
    mount, secret_mount = tmp_path / "mnt" / "data", tmp_path / "mnt" / "tls"
    (tmp_path / "pipeline.yaml").write_text(f"""
name: mounts
params:
  claim: {{type: string, default: training-data}}
steps:
  read:
    image: alpine
    command: [sh, -c, 'cat "$0/rows.csv" | wc -l > "$2"; cat "$1/cert" > "$3"', {mount}, {secret_mount},
              "${{{{ outputs.rows }}}}", "${{{{ outputs.cert }}}}"]
    outputs: {{rows: int, cert: string}}
    kubernetes:
      volumes: [{{claim: "${{{{ params.claim }}}}", mount: {mount}}}]
      secrets: [{{name: tls, mount: {secret_mount}}}]
""")
    proc = _kfyaml(sys.executable, "run", "pipeline.yaml", "--json", "--volume", f"training-data={data}",
                   "--secret", "tls=tls.env", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    run = json.loads(proc.stdout)
    assert run["steps"]["read"]["outputs"] == {"rows": 3, "cert": "CERT"}
    assert not os.path.lexists(mount) and not os.path.lexists(secret_mount)  # the links are gone afterwards
    written = next(iter((tmp_path / ".kfyaml" / "runs").glob("*/mounts/secret-tls/cert")))
    assert oct(written.stat().st_mode & 0o777) == "0o600"
    # Unmapped, the step is told where the volume would be, and nothing at the mount path is replaced.
    mount.parent.mkdir(exist_ok=True)
    mount.write_text("mine")
    proc = _kfyaml(sys.executable, "run", "pipeline.yaml", "--json", "--no-cache", "--volume", f"training-data={data}",
                   "--secret", "tls=tls.env", cwd=tmp_path)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["steps"]["read"]["error"] == (
        f"cannot mount {data} at {mount}: {mount} exists; remove it, or make it a link to {data} yourself")
    assert mount.read_text() == "mine"
    proc = _kfyaml(sys.executable, "run", "pipeline.yaml", "-q", "--no-cache", cwd=tmp_path)
    assert ("note: the volume claim 'training-data' (mounted at " + str(mount) + ") is not mapped here; give it a "
            "folder with --volume training-data=DIR") in proc.stderr.splitlines()
