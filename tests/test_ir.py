"""The IR is real KFP IR: strict protobuf parse, loadable by kfp, golden, deterministic."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from conftest import ROOT
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from kfyaml.compiler import api
from tools.update_golden import golden_path, sources

SOURCES = sources()


def _docs(text: str) -> list[dict]:
    return list(yaml.safe_load_all(text))


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_parses_strictly_into_pipeline_spec(source):
    result = api.compile_file(str(source))
    docs = _docs(result.ir_text())
    spec = json_format.ParseDict(docs[0], pipeline_spec_pb2.PipelineSpec(), ignore_unknown_fields=False)
    assert spec.pipeline_info.name == result.pipeline_spec["pipelineInfo"]["name"]
    # Nothing dropped: the message serialises back to the same document.
    assert json_format.MessageToDict(spec) == docs[0]
    if len(docs) == 2:
        platform = json_format.ParseDict(docs[1], pipeline_spec_pb2.PlatformSpec(), ignore_unknown_fields=False)
        assert json_format.MessageToDict(platform) == docs[1]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_loads_with_kfp(source, tmp_path):
    from kfp import components

    out = tmp_path / "ir.yaml"
    out.write_text(api.compile_file(str(source)).ir_text())
    component = components.load_component_from_file(str(out))
    expected = api.compile_file(str(source)).pipeline_spec
    assert component.name == expected["pipelineInfo"]["name"]
    assert set(component.component_spec.inputs or {}) == set(expected["root"].get("inputDefinitions", {}).get("parameters", {}))


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_matches_golden_file(source):
    golden = golden_path(source)
    assert golden.exists(), f"run `python tools/update_golden.py` to create {golden.name}"
    assert api.compile_file(str(source)).ir_text() == golden.read_text(encoding="utf-8"), \
        f"{golden.name} is stale: run `python tools/update_golden.py` and review the diff"


def test_same_input_same_bytes_across_processes(tmp_path):
    """Hash seeds differ between processes; the output must not."""
    source = ROOT / "tests" / "fixtures" / "ok" / "feature_tour.yaml"
    outputs = []
    for seed in ("1", "2", "3"):
        proc = subprocess.run([sys.executable, "-m", "kfyaml.compiler.cli", "compile", str(source)],
                              capture_output=True, env={"PYTHONHASHSEED": seed, "PATH": ""}, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1] == outputs[2]


def test_identical_steps_share_one_component_and_executor():
    result = api.compile_file(str(ROOT / "examples" / "parallel_training.yaml"))
    spec = result.pipeline_spec
    executors = spec["deploymentSpec"]["executors"]
    images = [e["container"]["image"] for e in executors.values()]
    assert len(images) == len(set(map(str, executors.values()))), "an executor is emitted twice"


def test_ten_identical_steps_share_one_executor_with_a_component_each(tmp_path):
    """One executor (the bytes); a ComponentSpec per task, which kfp.local keys each task's outputs by."""
    steps = "".join(f"  s{i}:\n    image: alpine\n    command: [echo, hi]\n" for i in range(10))
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nsteps:\n" + steps)
    spec = api.compile_file(str(path)).pipeline_spec
    assert sorted(spec["components"]) == sorted(f"comp-s{i}" for i in range(10))
    assert list(spec["deploymentSpec"]["executors"]) == ["exec-s0"]
    assert {c["executorLabel"] for c in spec["components"].values()} == {"exec-s0"}
    assert {n: t["componentRef"]["name"] for n, t in spec["root"]["dag"]["tasks"].items()} == \
        {f"s{i}": f"comp-s{i}" for i in range(10)}
