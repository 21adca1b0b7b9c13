"""IR to text: the same pipeline always gives the same bytes.

Keys are sorted and nothing that varies between runs (time, absolute paths,
versions of other tools) is written. Mappings and lists that hold only
scalars are written in flow style (`componentRef: {name: comp-train}`):
IR stays readable and smaller than KFP's.

The text is exactly what `yaml.dump(..., Dumper=CSafeDumper, sort_keys=True,
default_flow_style=None)` writes, made faster: PyYAML's representer and
serializer walk a node tree in Python and were a third of compiling a large
pipeline, so the event stream is built here in one pass (with the
representer's own rules for scalars and flow style) and handed straight to
libyaml's emitter. IR that holds anything else (a shared dict, which PyYAML
writes as an anchor; an unusual type) goes the standard way. Tests compare
the two on every golden file and on random documents.
"""

from __future__ import annotations

import io

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode

try:
    _Dumper = yaml.CSafeDumper
except AttributeError:  # pragma: no cover
    _Dumper = yaml.SafeDumper

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


_SCALAR_TYPES = (str, bool, int, float, type(None))


class _Events:
    """The event stream `yaml.serialize` would produce for the data, built in one pass.

    Per scalar, whether its plain and quoted forms read back as its own type (which decides
    quoting) is asked of the dumper's resolver once per distinct text, not twice per scalar.
    """

    def __init__(self, dumper):
        self.resolve = dumper.resolve
        self.implicit: dict[tuple[str, str], tuple[bool, bool]] = {}
        self.out: list = []
        self.seen: set[int] = set()

    def scalar(self, tag: str, text: str) -> None:
        implicit = self.implicit.get((tag, text))
        if implicit is None:
            implicit = self.implicit[(tag, text)] = (self.resolve(ScalarNode, text, (True, False)) == tag,
                                                     self.resolve(ScalarNode, text, (False, True)) == tag)
        self.out.append(ScalarEvent(None, tag, implicit, text))

    def value(self, value) -> None:
        kind = type(value)
        if kind is str:
            self.scalar(_STR, value)
        elif kind is dict:
            if id(value) in self.seen:
                raise _Standard
            self.seen.add(id(value))
            try:
                items = sorted(value.items())
            except TypeError:
                raise _Standard from None
            flow = all(type(k) in _SCALAR_TYPES and type(v) in _SCALAR_TYPES for k, v in items)
            self.out.append(MappingStartEvent(None, _MAP, True, flow_style=flow))
            for k, v in items:
                self.value(k)
                self.value(v)
            self.out.append(MappingEndEvent())
        elif kind is list:
            if id(value) in self.seen:
                raise _Standard
            self.seen.add(id(value))
            self.out.append(SequenceStartEvent(None, _SEQ, True, flow_style=all(type(v) in _SCALAR_TYPES
                                                                                for v in value)))
            for v in value:
                self.value(v)
            self.out.append(SequenceEndEvent())
        elif kind is bool:
            self.scalar(_BOOL, "true" if value else "false")
        elif kind is int:
            self.scalar(_INT, str(value))
        elif kind is float:
            self.scalar(_FLOAT, _float(value))
        elif value is None:
            self.scalar(_NULL, "null")
        else:
            raise _Standard


def dump(data: dict) -> str:
    stream = io.StringIO()
    dumper = _Dumper(stream, **_OPTIONS)
    try:
        events = _Events(dumper)
        try:
            events.value(data)
        except _Standard:
            return yaml.dump(data, Dumper=_Dumper, sort_keys=True, default_flow_style=None, **_OPTIONS)
        dumper.emit(StreamStartEvent())
        dumper.emit(DocumentStartEvent(explicit=False))
        for event in events.out:
            dumper.emit(event)
        dumper.emit(DocumentEndEvent(explicit=False))
        dumper.emit(StreamEndEvent())
    finally:
        dumper.dispose()
    return stream.getvalue()


def ir_text(pipeline_spec: dict, platform_spec: dict | None, source_name: str) -> str:
    header = (f"# PIPELINE DEFINITION\n# Name: {pipeline_spec['pipelineInfo']['name']}\n"
              f"# Source: {source_name}\n# Compiled by kfyaml; edit the source, not this file.\n")
    text = header + dump(pipeline_spec)
    if platform_spec:
        text += "---\n" + dump(platform_spec)
    return text
