"""`uses: ./file.yaml`: KFP component files and other kfyaml pipelines.

Three kinds of file are recognised by their keys:
- a KFP v1 `component.yaml` (`implementation: {container: ...}`): converted to a
  container component the way KFP 2 converts it (its types, its placeholders,
  `concat` and `if`/`isPresent` as KFP's `Concat`/`IfPresent` placeholders);
- KFP v2 IR (`pipelineInfo`, `root`, ...), as `kfp` compiles a component or a
  pipeline: used as a nested DAG whose interface is its root's;
- a kfyaml pipeline (`steps:`): compiled by the same passes, then used like v2
  IR, its params as inputs and its `outputs:` as outputs.

Files are read with the same safe loader as the pipeline itself and resolved
from the folder of the file that names them; a file that (through others)
uses itself is an error naming the chain.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from kfyaml.ir import placeholders as ph
from kfyaml.ir.types import ARTIFACT_TYPE, STRING, VALUE_TYPE

from .codes import BAD_USES, YAML_SYNTAX
from .diagnostics import Diagnostic, make
from .load import load_file
from .model import Component, Literal, Port, Type

_V1_PARAMETERS = {"integer": "int", "int": "int", "double": "float", "float": "float", "string": "string",
                  "str": "string", "text": "string", "bool": "bool", "boolean": "bool", "dict": "dict",
                  "list": "list", "jsonobject": "dict", "jsonarray": "list"}
_V1_ARTIFACTS = {"artifact": "artifact", "model": "model", "dataset": "dataset", "metrics": "metrics",
                 "classificationmetrics": "classification_metrics", "html": "html", "markdown": "markdown"}


class FileError(Exception):
    """A problem with a referenced file, located in the file that references it."""


def load_component(path: str, shown: str, chain: tuple[str, ...], compile_nested) -> tuple[Component | None, list[Diagnostic]]:
    """The component a file defines, and the problems found in it (located in that file)."""
    real = os.path.realpath(path)
    if real in chain:
        names = [os.path.basename(p) for p in chain] + [os.path.basename(real)]
        raise FileError(f"files use each other in a cycle: {' -> '.join(names)}")
    loaded = load_file(path, shown, documents=2)  # KFP IR may carry its PlatformSpec second
    if loaded.document is None:
        return None, loaded.diagnostics
    data = loaded.document.data
    if isinstance(data, dict) and "steps" in data and loaded.document.more:
        return None, [make(shown, 1, 1, YAML_SYNTAX, "a pipeline file holds one YAML document; remove the extra `---`")]
    if isinstance(data, dict) and "steps" in data:
        result = compile_nested(loaded.document, chain + (real,))
        if not result.ok:
            return None, result.diagnostics
        return from_ir(result.pipeline_spec, result.platform_spec, real), result.diagnostics
    if isinstance(data, dict) and "pipelineInfo" in data and "root" in data:
        more = loaded.document.more
        platform = more[0] if more and isinstance(more[0], dict) else None
        try:
            return from_ir(data, platform, real), []
        except (KeyError, TypeError, AttributeError):
            return None, [make(shown, 1, 1, BAD_USES, "this KFP IR file has no usable root interface "
                                                     "(root.inputDefinitions/outputDefinitions)")]
    if isinstance(data, dict) and "implementation" in data:
        try:
            return from_v1(data, real), []
        except FileError as err:
            line, col = loaded.document.locate(("implementation",))
            return None, [make(shown, line, col, BAD_USES, str(err))]
    return None, [make(shown, 1, 1, BAD_USES, "not a KFP component file (v1 `implementation:` or v2 IR) nor a "
                                             "kfyaml pipeline (`steps:`)")]


# ---- v2 IR ---------------------------------------------------------------------

def _ir_ports(definitions: dict) -> dict[str, Port]:
    ports = {}
    for name, spec in (definitions or {}).get("parameters", {}).items():
        t = Type(VALUE_TYPE.get(spec.get("parameterType", STRING), "string"))
        has_default = bool(spec.get("isOptional")) or "defaultValue" in spec
        ports[name] = Port(name, t, (), spec.get("defaultValue"), has_default, spec.get("description"))
    for name, spec in (definitions or {}).get("artifacts", {}).items():
        t = Type(ARTIFACT_TYPE.get(spec["artifactType"].get("schemaTitle"), "artifact"))
        if spec.get("isArtifactList"):
            t = Type("list", t)
        ports[name] = Port(name, t, (), None, bool(spec.get("isOptional")), spec.get("description"))
    return ports


def from_ir(spec: dict, platform: dict | None, key: str) -> Component:
    root = spec["root"]
    return Component(name=spec["pipelineInfo"]["name"], inputs=_ir_ports(root.get("inputDefinitions")),
                     outputs=_ir_ports(root.get("outputDefinitions")), image="", dag=spec, dag_platform=platform,
                     source=key)


# ---- v1 component.yaml --------------------------------------------------------------

def _v1_type(type_: Any, as_artifact: bool) -> Type:
    name = str(type_ if not isinstance(type_, dict) else next(iter(type_), "")).lower() if type_ else "string"
    if not as_artifact and name in _V1_PARAMETERS:
        return Type(_V1_PARAMETERS[name])
    return Type(_V1_ARTIFACTS.get(name, "artifact"))


def from_v1(data: dict, key: str) -> Component:
    container = (data.get("implementation") or {}).get("container")
    if not isinstance(container, dict) or not container.get("image"):
        raise FileError("a v1 component needs `implementation.container.image`")
    inputs_spec = {i["name"]: i for i in data.get("inputs") or []}
    outputs_spec = {o["name"]: o for o in data.get("outputs") or []}
    # An input is an artifact when the command reads it as a file (inputPath/inputUri).
    used = _placeholder_uses(container.get("command", []) + container.get("args", []))
    inputs = {}
    for original, spec in inputs_spec.items():
        name = _sanitized(original)
        as_artifact = ("inputPath", original) in used or ("inputUri", original) in used \
            or not _is_v1_parameter(spec.get("type"))
        t = _v1_type(spec.get("type"), as_artifact)
        has_default = "default" in spec or bool(spec.get("optional"))
        default = _v1_default(spec.get("default"), t) if "default" in spec else None
        # KFP 2 keeps no descriptions from v1 files; neither do we, so the IR is the same.
        # An optional artifact stays optional (KFP's isOptional), so `if: {cond: {isPresent: ...}}` can work.
        optional = has_default if not t.is_artifact else bool(spec.get("optional"))
        inputs[original] = Port(name, t, (), default, optional)
    outputs = {name: Port(_sanitized(name), _v1_type(spec.get("type"), not _is_v1_parameter(spec.get("type"))), ())
               for name, spec in outputs_spec.items()}
    # Placeholders name ports as the file writes them; the IR (and `with:`) as KFP sanitises them.
    ports = {**{("in", n): p for n, p in inputs.items()}, **{("out", n): p for n, p in outputs.items()}}
    for kind, given in (("input", inputs), ("output", outputs)):
        names = [p.name for p in given.values()]
        clash = next((n for n in names if names.count(n) > 1 or not n), None)
        if clash is not None:
            raise FileError(f"two {kind}s (or an empty name) become \"{clash}\" once sanitised as KFP does "
                            "(lower case, other characters to _): rename one")
    command = tuple(Literal(_v1_arg(a, ports), ()) for a in container.get("command", []))
    args = tuple(Literal(_v1_arg(a, ports), ()) for a in container.get("args", []))
    name = re.sub(r"[^a-z0-9]+", "-", str(data.get("name", "component")).lower()).strip("-") or "component"
    env = {str(k): str(v) for k, v in (container.get("env") or {}).items()}
    inputs = {p.name: p for p in inputs.values()}
    outputs = {p.name: p for p in outputs.values()}
    return Component(name=name, inputs=inputs, outputs=outputs, image=container["image"], command=command,
                     args=args, source=key, env=env)


def _sanitized(name: Any) -> str:
    """A v1 port name as KFP 2 makes it (`kfp.dsl.utils.sanitize_input_name`): `My Input` is `my_input`,
    `../../x` is `x`, so no output path can leave the step's folder."""
    return re.sub("[^_0-9a-z]+", "_", str(name).lower()).strip("_")


def _is_v1_parameter(type_: Any) -> bool:
    return type_ is None or (isinstance(type_, str) and type_.lower() in _V1_PARAMETERS)


def _v1_default(value: Any, t: Type) -> Any:
    """v1 defaults are strings; KFP reads them as the input's type."""
    if not isinstance(value, str):
        return value
    try:
        if t.name == "int":
            return int(value)
        if t.name == "float":
            return float(value)
        if t.name == "bool":
            return value.strip().lower() in ("y", "yes", "t", "true", "on", "1")
        if t.name in ("list", "dict"):
            return json.loads(value)
    except ValueError:
        return value
    return value


def _placeholder_uses(items: list) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("inputValue", "inputPath", "inputUri", "outputPath", "outputUri") and isinstance(v, str):
                    found.add((k, v))
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(items)
    return found


def _v1_arg(node: Any, ports: dict) -> str:
    """One v1 command/args item as the string KFP 2 puts in the IR."""
    value = _v1_value(node, ports)
    return value if isinstance(value, str) else json.dumps(value)


def _v1_value(node: Any, ports: dict) -> Any:
    if isinstance(node, (str, int, float, bool)):
        return str(node) if not isinstance(node, str) else node
    if not isinstance(node, dict) or len(node) != 1:
        raise FileError(f"unsupported v1 placeholder {node!r}")
    (kind, arg), = node.items()
    if kind in ("inputValue", "inputPath", "inputUri"):
        port = ports.get(("in", arg))
        if port is None:
            raise FileError(f'the placeholder {{{kind}: {arg}}} names no input "{arg}"')
        if kind == "inputValue" and not port.type.is_artifact:
            return ph.input_parameter(port.name)
        return ph.input_artifact(port.name, "uri" if kind == "inputUri" else "path")
    if kind in ("outputPath", "outputUri"):
        port = ports.get(("out", arg))
        if port is None:
            raise FileError(f'the placeholder {{{kind}: {arg}}} names no output "{arg}"')
        if not port.type.is_artifact:
            return ph.output_parameter_file(port.name)
        return ph.output_artifact(port.name, "uri" if kind == "outputUri" else "path")
    if kind == "concat":
        return {"Concat": [_v1_value(v, ports) for v in arg]}
    if kind == "if":
        cond = arg.get("cond") or {}
        if not (isinstance(cond, dict) and "isPresent" in cond):
            raise FileError("only `if: {cond: {isPresent: <input>}}` is supported in v1 components")
        present = ports.get(("in", cond["isPresent"]))
        out = {"InputName": present.name if present else _sanitized(str(cond["isPresent"])),
               "Then": [_v1_value(v, ports) for v in arg.get("then") or []]}
        if arg.get("else"):
            out["Else"] = [_v1_value(v, ports) for v in arg["else"]]
        return {"IfPresent": out}
    raise FileError(f"unsupported v1 placeholder `{kind}`")


__all__ = ["load_component", "FileError"]
