"""kfyaml as a person would write it: block style for the structure, flow style for short
maps and lists of plain values, code as literal blocks, `${{ }}` always quoted.
"""

from __future__ import annotations

import yaml

_FLOW_WIDTH = 100  # a map or list whose flow form is longer than this is written as a block


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, text: str):
    if "\n" in text and text.strip():
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")
    if "${{" in text:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", text)


def _leafy(value) -> bool:
    if isinstance(value, dict):
        return all(_scalar(v) for v in value.values())
    if isinstance(value, list):
        return all(_scalar(v) or (isinstance(v, dict) and all(_scalar(x) for x in v.values())) for v in value)
    return False


def _scalar(value) -> bool:
    if isinstance(value, dict | list):
        return not value
    return value is None or isinstance(value, bool | int | float) or (isinstance(value, str) and "\n" not in value)


def _flow_fits(value) -> bool:
    return _leafy(value) and len(yaml.safe_dump(value, default_flow_style=True, width=10_000)) <= _FLOW_WIDTH


def _dict(dumper, value: dict):
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=_flow_fits(value) and bool(value))


def _list(dumper, value: list):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=_flow_fits(value) and bool(value))


_Dumper.add_representer(str, _str)
_Dumper.add_representer(dict, _dict)
_Dumper.add_representer(list, _list)


def dump(doc: dict) -> str:
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    # Top-level sections and steps are easier to read apart.
    lines = []
    for line in text.splitlines():
        if line.endswith("- else: null"):  # a branch's `else:` has no value
            line = line[: -len(" null")]
        if lines and line and not line.startswith((" ", "-")) and not lines[-1] == "":
            lines.append("")
        lines.append(line)
    return "\n".join(lines).lstrip("\n") + "\n"
