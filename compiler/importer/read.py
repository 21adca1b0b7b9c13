"""Read a compiled KFP IR file, keeping where each key stands.

The IR is data a tool wrote, but it still comes from the user: it is loaded
safely (no tags, bounded size), and every mapping key keeps its line and
column so that whatever `kfyaml import` cannot turn into kfyaml is reported
at its place in the IR file, like any other diagnostic.
"""

from __future__ import annotations

import dataclasses

import yaml

from .. import codes
from ..diagnostics import Diagnostic, make

MAX_BYTES = 50 * 1024 * 1024  # compiled IR of a very large pipeline stays far below this
MAX_NODES = 5_000_000  # aliases can make a small file expand without bound; real IR has none


@dataclasses.dataclass
class Problems:
    """Everything the import cannot do, each located in the IR file."""

    file: str
    marks: dict[tuple, tuple[int, int]]
    found: list[Diagnostic] = dataclasses.field(default_factory=list)

    def add(self, path: tuple, message: str, code=codes.IMPORT_UNSUPPORTED) -> None:
        line, col = self.where(path)
        self.found.append(make(self.file, line, col, code, message))

    def where(self, path: tuple) -> tuple[int, int]:
        for end in range(len(path), -1, -1):  # the nearest key that is in the file
            if path[:end] in self.marks:
                return self.marks[path[:end]]
        return 1, 1


@dataclasses.dataclass(frozen=True)
class IR:
    spec: dict       # the PipelineSpec
    platform: dict   # platforms.kubernetes.deploymentSpec.executors, by executor label ({} without one)
    run_config: dict = dataclasses.field(default_factory=dict)  # platforms.kubernetes.pipelineConfig


def load(text: str, problems: Problems) -> IR | None:
    """The PipelineSpec and PlatformSpec of an IR file; None (with a problem) when it is not one."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        problems.add((), f"the file is larger than {MAX_BYTES // 2**20} MiB; no compiled pipeline is that large",
                     codes.IMPORT_NOT_IR)
        return None
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        if sum(_expanded(node, {}) for node in nodes if node is not None) > MAX_NODES:
            raise _TooLarge
        budget = [MAX_NODES]
        docs = [_construct(node, (i,), problems.marks, budget) for i, node in enumerate(nodes) if node is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problems.marks[("yaml",)] = where
        problems.add(("yaml",), f"the file is not valid YAML: {getattr(exc, 'problem', None) or exc}", codes.IMPORT_NOT_IR)
        return None
    except _TooLarge:
        problems.add((), f"anchors and aliases expand this file past {MAX_NODES:,} values; no compiled pipeline "
                     "is that large (KFP writes none)", codes.IMPORT_NOT_IR)
        return None
    except RecursionError:
        problems.add((), "the file nests deeper than any compiled pipeline", codes.IMPORT_NOT_IR)
        return None
    if not docs or not isinstance(docs[0], dict) or not {"root", "components", "deploymentSpec"} <= set(docs[0]):
        problems.add((0,), "this is not KFP IR: a compiled pipeline (a PipelineSpec, as `kfp.compiler.Compiler` "
                     "writes it) has `root`, `components` and `deploymentSpec`", codes.IMPORT_NOT_IR)
        return None
    platform, run_config = {}, {}
    for doc in docs[1:]:
        if isinstance(doc, dict) and "platforms" in doc:
            kubernetes = doc["platforms"].get("kubernetes") or {}
            platform = kubernetes.get("deploymentSpec", {}).get("executors", {}) or {}
            run_config = kubernetes.get("pipelineConfig") or {}
            for other in sorted(set(doc["platforms"]) - {"kubernetes"}):
                problems.add((1, "platforms", other), f"a PlatformSpec for `{other}`: kfyaml writes Kubernetes settings only")
            for key in sorted(set(kubernetes) - {"deploymentSpec", "pipelineConfig"}):
                problems.add((1, "platforms", "kubernetes", key), f"the pipeline-level Kubernetes setting `{key}`: "
                             "kfyaml has no form for it yet")
    return IR(docs[0], platform, run_config)


class _TooLarge(Exception):
    pass


def _expanded(node, memo: dict) -> int:
    """How many values the node stands for once every alias is expanded (each shared node counted once
    per use, computed once)."""
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = 1  # a node that contains itself: counted once, construction stops it later
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded(k, memo) + _expanded(v, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded(v, memo) for v in node.value)
    else:
        size = 1
    memo[id(node)] = min(size, MAX_NODES + 1)
    return memo[id(node)]


def _construct(node, path: tuple, marks: dict, budget: list[int]):
    """Plain Python data from a composed node, recording where each mapping key is."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooLarge
    if node.tag not in _TAGS:
        raise yaml.constructor.ConstructorError(None, None, f"the tag {node.tag} has no place in IR", node.start_mark)
    if isinstance(node, yaml.MappingNode):
        out = {}
        for key_node, value_node in node.value:
            key = _construct(key_node, path, marks, budget)
            if not isinstance(key, str | int | float | bool):
                raise yaml.constructor.ConstructorError(None, None, "a mapping key that is not text", key_node.start_mark)
            marks[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _construct(value_node, path + (key,), marks, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        out = []
        for i, item in enumerate(node.value):
            marks[path + (i,)] = (item.start_mark.line + 1, item.start_mark.column + 1)
            out.append(_construct(item, path + (i,), marks, budget))
        return out
    return yaml.SafeLoader.yaml_constructors[node.tag](_LOADER, node)


_SCALARS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
            "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}
_TAGS = _SCALARS | {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_LOADER = yaml.SafeLoader("")
