"""IR to text: the same pipeline always gives the same bytes.

Keys are sorted and nothing that varies between runs (time, absolute paths,
versions of other tools) is written. Mappings and lists that hold only
scalars are written in flow style (`componentRef: {name: comp-train}`):
IR stays readable and is well under half the size of KFP's.
"""

from __future__ import annotations

import yaml

try:
    _Dumper = yaml.CSafeDumper
except AttributeError:  # pragma: no cover
    _Dumper = yaml.SafeDumper


def dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=True, default_flow_style=None, allow_unicode=True, width=120)


def ir_text(pipeline_spec: dict, platform_spec: dict | None, source_name: str) -> str:
    header = (f"# PIPELINE DEFINITION\n# Name: {pipeline_spec['pipelineInfo']['name']}\n"
              f"# Source: {source_name}\n# Compiled by kfyaml; edit the source, not this file.\n")
    text = header + dump(pipeline_spec)
    if platform_spec:
        text += "---\n" + dump(platform_spec)
    return text
