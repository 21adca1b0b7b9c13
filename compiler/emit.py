"""IR to text: the same pipeline always gives the same bytes.

Keys are sorted and nothing that varies between runs (time, absolute paths,
versions of other tools) is written. Mappings and lists that hold only
scalars are written in flow style (`componentRef: {name: comp-train}`):
IR stays readable and smaller than KFP's.

The text is exactly what `yaml.dump(..., Dumper=CSafeDumper, sort_keys=True,
default_flow_style=None)` writes, made faster: PyYAML's representer is pure
Python and was a third of compiling a large pipeline, so the node tree is
built here in one tight pass (with the representer's own rules for scalars
and flow style) and handed to libyaml's emitter. IR that holds anything
else (a shared dict, which PyYAML writes as an anchor; an unusual type)
goes the standard way.
"""

from __future__ import annotations

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

try:
    _Base = yaml.CSafeDumper
except AttributeError:  # pragma: no cover
    _Base = yaml.SafeDumper


class _Dumper(_Base):
    """The safe dumper, remembering how each scalar resolves.

    The emitter asks the resolver, for every scalar, whether its plain text
    would read back as the same type (`true` must be quoted, `train` need
    not); IR repeats the same few hundred keys and values, so each answer is
    worked out once.
    """

    _resolved: dict = {}

    def resolve(self, kind, value, implicit):
        if kind is not ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self._resolved.get(key)
        if tag is None:
            tag = self._resolved[key] = super().resolve(kind, value, implicit)
        return tag

_OPTIONS = {"allow_unicode": True, "width": 120}
_STR, _INT, _FLOAT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_BOOL, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_INF = float("inf")


class _Standard(Exception):
    """The data needs PyYAML's own representer."""


def _float(value: float) -> str:
    if value != value:
        return ".nan"
    if value == _INF:
        return ".inf"
    if value == -_INF:
        return "-.inf"
    text = repr(value).lower()
    return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text


def _node(value, seen: set[int]):
    kind = type(value)
    if kind is str:
        return ScalarNode(_STR, value)
    if kind is dict:
        if id(value) in seen:
            raise _Standard
        seen.add(id(value))
        try:
            items = sorted(value.items())
        except TypeError:
            raise _Standard from None
        pairs = [(_node(k, seen), _node(v, seen)) for k, v in items]
        flow = all(type(k) is ScalarNode and type(v) is ScalarNode for k, v in pairs)
        return MappingNode(_MAP, pairs, flow_style=flow)
    if kind is list:
        if id(value) in seen:
            raise _Standard
        seen.add(id(value))
        items = [_node(v, seen) for v in value]
        return SequenceNode(_SEQ, items, flow_style=all(type(i) is ScalarNode for i in items))
    if kind is bool:
        return ScalarNode(_BOOL, "true" if value else "false")
    if kind is int:
        return ScalarNode(_INT, str(value))
    if kind is float:
        return ScalarNode(_FLOAT, _float(value))
    if value is None:
        return ScalarNode(_NULL, "null")
    raise _Standard


def dump(data: dict) -> str:
    try:
        node = _node(data, set())
    except _Standard:
        return yaml.dump(data, Dumper=_Dumper, sort_keys=True, default_flow_style=None, **_OPTIONS)
    return yaml.serialize(node, Dumper=_Dumper, **_OPTIONS)


def ir_text(pipeline_spec: dict, platform_spec: dict | None, source_name: str) -> str:
    header = (f"# PIPELINE DEFINITION\n# Name: {pipeline_spec['pipelineInfo']['name']}\n"
              f"# Source: {source_name}\n# Compiled by kfyaml; edit the source, not this file.\n")
    text = header + dump(pipeline_spec)
    if platform_spec:
        text += "---\n" + dump(platform_spec)
    return text
