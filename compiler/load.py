"""Pass 1, load: bytes to plain Python values plus the position of every node.

The document is composed from libyaml's event stream by hand rather than by
PyYAML's composer, because that is the only place where the hostile cases can
be stopped cheaply and with a location: duplicate keys (PyYAML keeps the last
silently), alias bombs (counted before anything is expanded), nesting deep
enough to exhaust a recursive walker, and tags that a pipeline never needs.

Scalars resolve by the YAML 1.2 core schema, as GitHub Actions users expect:
`on`, `yes` and `no` stay strings; only true/false are booleans.

Values stay plain dicts, lists and scalars so that jsonschema and the later
passes see ordinary data; positions live beside them in `Document.positions`,
keyed by the path from the root, and `Document.locate` maps any path to the
nearest known position (practice: checks report paths, one resolver maps them).
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

import yaml

from .codes import (
    ALIAS_BOMB,
    DUPLICATE_KEY,
    EMPTY_FILE,
    NOT_UTF8,
    TOO_DEEP,
    TOO_LARGE,
    UNQUOTED_EXPRESSION,
    UNREADABLE,
    YAML_FORM,
    YAML_SYNTAX,
    YAML_TAG,
    Code,
)
from .diagnostics import Diagnostic, make

Path = tuple[str | int, ...]

MAX_BYTES = 10 * 1024 * 1024
MAX_DIGITS = 100  # an integer literal: KFP's numbers are doubles; 10^100 is already beyond any field
MAX_DEPTH = 64
MAX_NODES = 500_000

try:  # libyaml when present; the pure-Python parser gives the same events.
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml is part of the PyYAML wheels
    _Loader = yaml.SafeLoader

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")
# What usually causes libyaml's commonest complaints, said as a fix.
_HINTS = {
    "did not find expected key": "; check this line's indentation against the lines above",
    "mapping values are not allowed": "; a value holding `: ` must be quoted, or the indentation is off",
    "found character that cannot start any token": "; quote the value (`@` and `` ` `` cannot start a plain value)",
    "could not find expected ':'": "; a key needs `: ` after it, or a multi-line value needs quotes",
    "found undefined alias": "; define the anchor (&name) before its alias (*name)",
}
_ALLOWED_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                 "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
                 "tag:yaml.org,2002:seq", "!"}


@dataclasses.dataclass(frozen=True)
class Document:
    """A loaded file: its data, where each path starts, and its text for carets."""

    file: str
    data: Any
    positions: dict[Path, tuple[int, int]]
    key_positions: dict[Path, tuple[int, int]]
    lines: list[str]
    source_path: str | None = None  # on disk, for files the pipeline refers to by relative path
    more: tuple = ()                # documents after the first, when the caller allowed them

    def locate(self, path: Path, key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the value at `path`, or of its key when `key`.

        Paths inside an aliased subtree, or past the end of what was written,
        fall back to the nearest ancestor that was written in the file.
        """
        path = tuple(path)
        if key and path in self.key_positions:
            return self.key_positions[path]
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))


@dataclasses.dataclass(frozen=True)
class LoadResult:
    document: Document | None
    diagnostics: list[Diagnostic]


class _Stop(Exception):
    def __init__(self, diag: Diagnostic):
        self.diag = diag


def load_file(path: str, display: str | None = None, documents: int = 1) -> LoadResult:
    """Read and load one file; never raises for anything the file holds.

    A pipeline is one document; KFP IR may carry a second (the PlatformSpec),
    so a caller reading IR allows `documents=2`.
    """
    display = display or path
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return LoadResult(None, [make(display, 1, 1, UNREADABLE, f"cannot read the file: {reason}")])
    result = load_bytes(raw, display, documents)
    if result.document is not None:
        result = LoadResult(dataclasses.replace(result.document, source_path=path), result.diagnostics)
    return result


def load_bytes(raw: bytes, file: str, documents: int = 1) -> LoadResult:
    if len(raw) > MAX_BYTES:
        return LoadResult(None, [make(file, 1, 1, TOO_LARGE,
                                      f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB; "
                                      "a pipeline this large is almost certainly generated by mistake")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return LoadResult(None, [make(file, line, col, NOT_UTF8,
                                      f"byte 0x{raw[exc.start]:02x} is not valid UTF-8; "
                                      "save the file as UTF-8")])
    lines = text.splitlines()
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in lines):
        return LoadResult(None, [make(file, 1, 1, EMPTY_FILE,
                                      "the file is empty; a pipeline needs at least `name:` and `steps:`")])
    try:
        docs, positions, key_positions = _Composer(file, lines, documents).compose(text)
    except _Stop as stop:
        return LoadResult(None, [stop.diag])
    return LoadResult(Document(file, docs[0], positions, key_positions, lines, more=tuple(docs[1:])), [])


def _parse(text: str):
    """The parser's events, as `yaml.parse` gives them, without its check-then-get per event."""
    loader = _Loader(text)
    try:
        get = loader.get_event
        while (event := get()) is not None:
            yield event
    finally:
        loader.dispose()


def _pos(mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


class _Composer:
    """Builds plain values from parser events, checking as it goes."""

    def __init__(self, file: str, lines: list[str], documents: int = 1):
        self.file = file
        self.lines = lines
        self.documents = documents
        self.positions: dict[Path, tuple[int, int]] = {}
        self.key_positions: dict[Path, tuple[int, int]] = {}
        self.anchors: dict[str, tuple[Any, int]] = {}  # anchor -> (value, expanded size)
        self.nodes = 0

    def stop(self, pos: tuple[int, int], code: Code, message: str):
        raise _Stop(make(self.file, pos[0], pos[1], code, message))

    def compose(self, text: str):
        events = _parse(text)
        try:
            docs = []
            for event in events:
                if isinstance(event, yaml.DocumentStartEvent):
                    if len(docs) == self.documents:
                        self.stop(_pos(event.start_mark), YAML_SYNTAX,
                                  "a pipeline file holds one YAML document; remove the extra `---`")
                    # Positions stay those of the first document, the one diagnostics point into.
                    saved = (dict(self.positions), dict(self.key_positions))
                    docs.append(self._document(events))
                    if len(docs) > 1:
                        self.positions, self.key_positions = saved
            return docs, self.positions, self.key_positions
        except yaml.MarkedYAMLError as exc:
            raise _Stop(self._syntax(exc)) from None
        except yaml.YAMLError as exc:  # reader errors carry a character offset, not a mark
            offset = getattr(exc, "position", 0) or 0
            head = text[:offset]
            line = head.count("\n") + 1
            col = offset - (head.rfind("\n") + 1) + 1
            reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
            raise _Stop(make(self.file, line, col, YAML_SYNTAX, f"{reason}; remove the character")) from None

    def _syntax(self, exc: yaml.MarkedYAMLError) -> Diagnostic:
        mark = exc.problem_mark or exc.context_mark
        line, col = _pos(mark) if mark else (1, 1)
        tab = self._tab_indentation(line, exc)
        if tab:
            return make(self.file, tab[0], tab[1], YAML_SYNTAX,
                        "YAML indentation must use spaces, not tabs; replace the tab with spaces")
        flow = self._unquoted_expression(line, exc)
        if flow:
            return make(self.file, flow[0], flow[1], UNQUOTED_EXPRESSION,
                        "an expression inside `{...}` or `[...]` must be quoted: "
                        'write "${{ ... }}" (in quotes), or use block style')
        problem = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        hint = next((h for p, h in _HINTS.items() if p in problem), "")
        return make(self.file, line, col, YAML_SYNTAX, f"{problem}{context}{hint}")

    def _tab_indentation(self, line: int, exc) -> tuple[int, int] | None:
        """Where a tab in a line's indentation caused the syntax error (the error's line, or its context's)."""
        candidates = [line] + ([exc.context_mark.line + 1] if exc.context_mark is not None else [])
        for ln in candidates:
            if 1 <= ln <= len(self.lines):
                text = self.lines[ln - 1]
                indent = text[: len(text) - len(text.lstrip(" \t"))]
                if "\t" in indent:
                    return (ln, indent.index("\t") + 1)
        return None

    def _unquoted_expression(self, line: int, exc) -> tuple[int, int] | None:
        """Where an unquoted `${{` inside flow style caused the syntax error."""
        candidates = [line]
        if exc.context_mark is not None:
            candidates.append(exc.context_mark.line + 1)
        for ln in candidates:
            if 1 <= ln <= len(self.lines):
                text = self.lines[ln - 1]
                at = text.find("${{")
                while at != -1:
                    before = text[:at]
                    quoted = before.count('"') % 2 == 1 or before.count("'") % 2 == 1
                    if not quoted and ("{" in before or "[" in before):
                        return (ln, at + 1)
                    at = text.find("${{", at + 3)
        return None

    def _document(self, events) -> Any:
        value = self._node(next(events), events, (), 0)
        end = next(events)
        assert isinstance(end, yaml.DocumentEndEvent)
        return value

    def _count(self, n: int, pos: tuple[int, int]):
        self.nodes += n
        if self.nodes > MAX_NODES:
            self.stop(pos, ALIAS_BOMB, f"the document expands to more than {MAX_NODES} nodes "
                                    "(an alias bomb?); use fewer nested aliases")

    def _check_tag(self, event, pos):
        tag = getattr(event, "tag", None)
        if tag and tag not in _ALLOWED_TAGS:
            shown = "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag
            self.stop(pos, YAML_TAG, f"the YAML tag {shown} is not allowed in a pipeline file; remove it")

    def _node(self, event, events, path: Path, depth: int) -> Any:
        pos = _pos(event.start_mark)
        if depth > MAX_DEPTH:
            self.stop(pos, TOO_DEEP, f"nesting deeper than {MAX_DEPTH} levels; flatten the structure")
        self.positions[path] = pos
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                self.stop(pos, YAML_SYNTAX, f"unknown alias *{event.anchor}; define the anchor &{event.anchor} first")
            value, size = self.anchors[event.anchor]
            self._count(size, pos)
            return value
        self._check_tag(event, pos)
        start_nodes = self.nodes
        if isinstance(event, yaml.ScalarEvent):
            self._count(1, pos)
            value = self._scalar(event, pos)
        elif isinstance(event, yaml.SequenceStartEvent):
            self._count(1, pos)
            value = []
            for item in events:
                if isinstance(item, yaml.SequenceEndEvent):
                    break
                value.append(self._node(item, events, path + (len(value),), depth + 1))
        elif isinstance(event, yaml.MappingStartEvent):
            self._count(1, pos)
            value = self._mapping(events, path, depth)
        else:  # pragma: no cover - the parser never yields anything else here
            self.stop(pos, YAML_SYNTAX, "unexpected YAML structure")
        if getattr(event, "anchor", None):
            self.anchors[event.anchor] = (value, self.nodes - start_nodes)
        return value

    def _mapping(self, events, path: Path, depth: int) -> dict:
        value: dict = {}
        merged: dict = {}
        for key_event in events:
            if isinstance(key_event, yaml.MappingEndEvent):
                break
            kpos = _pos(key_event.start_mark)
            if not isinstance(key_event, yaml.ScalarEvent):
                self.stop(kpos, YAML_FORM, "a mapping key must be a plain string, not a list or mapping")
            key = key_event.value
            if key == "<<" and not key_event.style:
                merged.update(self._merge(next(events), events, path, depth, kpos))
                continue
            if key in value:
                first = self.key_positions[path + (key,)]
                self.stop(kpos, DUPLICATE_KEY, f'duplicate key "{key}" (first defined at line {first[0]}, '
                                         f"column {first[1]}); remove one of them")
            self.key_positions[path + (key,)] = kpos
            value[key] = self._node(next(events), events, path + (key,), depth + 1)
        for key, item in merged.items():
            value.setdefault(key, item)
        return value

    def _merge(self, event, events, path, depth, kpos) -> dict:
        """`<<: *anchor` (or a list of them): the YAML merge key."""
        source = self._node(event, events, path + ("<<",), depth + 1)
        sources = source if isinstance(source, list) else [source]
        merged: dict = {}
        for src in reversed(sources):
            if not isinstance(src, dict):
                self.stop(kpos, YAML_FORM, "`<<` merges mappings only; point it at a mapping anchor")
            merged.update(src)
        return merged

    def _scalar(self, event, pos) -> Any:
        text = event.value
        tag = event.tag
        if event.style or tag in ("tag:yaml.org,2002:str", "!"):
            return text
        if tag == "tag:yaml.org,2002:null" or (tag is None and _NULL.match(text)):
            return None
        if tag in (None, "tag:yaml.org,2002:bool") and text in _BOOL:
            return _BOOL[text]
        if tag in (None, "tag:yaml.org,2002:int"):
            if (_INT.match(text) or _OCT.match(text) or _HEX.match(text)) and len(text) > MAX_DIGITS:
                self.stop(pos, YAML_FORM, f"an integer of {len(text):,} digits; numbers in a pipeline have at most "
                                          f"{MAX_DIGITS} (quote it if it is text)")
            if _INT.match(text):
                return int(text)
            if _OCT.match(text):
                return int(text[2:], 8)
            if _HEX.match(text):
                return int(text[2:], 16)
        if tag in (None, "tag:yaml.org,2002:float", "tag:yaml.org,2002:int"):
            if _FLOAT.match(text):
                return float(text)
            if _INF.match(text):
                return -math.inf if text.startswith("-") else math.inf
            if _NAN.match(text):
                return math.nan
        if tag is not None:
            self.stop(pos, YAML_FORM, f"{text!r} is not a valid {tag.rsplit(':', 1)[-1]}")
        return text
