"""`kfyaml run` reads artifacts at s3:// URIs, tested against a real S3 API (moto's server on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # runs pipelines


@pytest.fixture
def s3(monkeypatch):
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://{host}:{port}"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3")
    client.create_bucket(Bucket="lake")
    client.put_object(Bucket="lake", Key="tables/rows.csv", Body=b"a,target\n1,0\n2,1\n3,1\n")
    client.put_object(Bucket="lake", Key="models/m1/model.txt", Body=b"weights")
    client.put_object(Bucket="lake", Key="models/m1/config.txt", Body=b"config")
    yield env
    server.stop()


PIPELINE = """
name: remote
params:
  table: {type: dataset, default: s3://lake/tables/rows.csv}
steps:
  model:
    importer: {uri: s3://lake/models/m1, type: model}
  count:
    image: alpine
    command: [sh, -c, 'wc -l < "$0" > "$2"; ls "$1" | tr "\\n" " " > "$3"', "${{ inputs.d }}", "${{ inputs.m }}",
              "${{ outputs.n }}", "${{ outputs.files }}"]
    inputs: {d: dataset, m: model}
    outputs: {n: int, files: string}
    with: {d: "${{ params.table }}", m: "${{ steps.model.outputs.artifact }}"}
"""


def _run(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "kfyaml.compiler.cli", "run", "pipeline.yaml", "--json", *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")})


def test_files_and_folders_at_s3_uris_are_read_into_the_run(s3, tmp_path):
    (tmp_path / "pipeline.yaml").write_text(PIPELINE)
    proc = _run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["steps"]["count"]["outputs"] == {"n": 4, "files": "config.txt model.txt "}


def test_a_missing_object_fails_its_step_with_the_uri(s3, tmp_path):
    (tmp_path / "pipeline.yaml").write_text(PIPELINE)
    proc = _run(tmp_path, "--param", "table=s3://lake/tables/nothere.csv")
    assert proc.returncode == 1
    steps = json.loads(proc.stdout)["steps"]
    assert steps["importer-table"]["error"] == "importer-table: s3://lake/tables/nothere.csv does not exist"
    assert steps["count"]["state"] == "upstream_failed"
