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
