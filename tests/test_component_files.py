"""The component files the examples use are what they claim to be."""

from __future__ import annotations

import subprocess
import sys

from conftest import EXAMPLES


def test_v2_component_is_what_kfp_compiles(tmp_path):
    target = tmp_path / "scale_values.v2.yaml"
    subprocess.run([sys.executable, str(EXAMPLES / "components" / "scale_values.py"), str(target)], check=True,
                   capture_output=True)
    assert target.read_text() == (EXAMPLES / "components" / "scale_values.v2.yaml").read_text(), \
        "regenerate it: python examples/components/scale_values.py"


def test_v1_component_loads_with_kfp():
    from kfp import components

    component = components.load_component_from_file(str(EXAMPLES / "components" / "summarize_csv.component.yaml"))
    assert component.name == "summarize-csv"
    assert sorted(component.component_spec.inputs) == ["column", "data", "limit"]
    assert sorted(component.component_spec.outputs) == ["report", "rows"]


def test_compiled_ir_with_a_platform_spec_can_be_used(tmp_path):
    """KFP IR with its PlatformSpec as a second document: both are used, the settings carried over."""
    import yaml

    from kfyaml.compiler import api

    (tmp_path / "inner.yaml").write_text("name: inner\nsteps:\n  a:\n    image: alpine\n    timeout: 60\n")
    inner = api.compile_file(str(tmp_path / "inner.yaml"))
    (tmp_path / "inner.ir.yaml").write_text(inner.ir_text())
    (tmp_path / "outer.yaml").write_text("name: outer\nsteps:\n  b:\n    uses: ./inner.ir.yaml\n")
    outer = api.compile_file(str(tmp_path / "outer.yaml"))
    assert outer.ok, [d.format() for d in outer.diagnostics]
    platform = list(yaml.safe_load_all(outer.ir_text()))[1]
    assert platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"] == {
        "exec-b-a": {"activeDeadlineSeconds": "60"}}
    assert outer.pipeline_spec["components"]["comp-b-a"]["executorLabel"] == "exec-b-a"


def test_a_pipeline_file_with_two_documents_is_refused_when_used(tmp_path):
    from kfyaml.compiler import api

    (tmp_path / "two.yaml").write_text("name: a\nsteps: {a: {image: alpine}}\n---\nname: b\n")
    (tmp_path / "outer.yaml").write_text("name: outer\nsteps:\n  b:\n    uses: ./two.yaml\n")
    result = api.compile_file(str(tmp_path / "outer.yaml"), display="outer.yaml")
    assert [d.format() for d in result.diagnostics] == [
        "two.yaml:1:1: error: a pipeline file holds one YAML document; remove the extra `---` [KY101]"]
