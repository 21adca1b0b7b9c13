"""Container components with KFP's structured placeholders, written as v1 `component.yaml` files.

An inline step's command has `${{ }}` text only; `IfPresent` and `Concat`
(what KFP 2 makes of a v1 component's `if`/`isPresent` and `concat`) exist
only in component files. Such a component is written back in the v1 form
that kfyaml's `uses:` converts exactly as KFP does
(compiler/component_files.py), so the round trip gives the same IR.
"""

from __future__ import annotations

import json
import re

import yaml

from kfyaml.ir import placeholders as ph
from kfyaml.ir.types import BOOLEAN, DOUBLE, INTEGER, LIST, STRING, STRUCT

from .context import Importer

_V1_PARAMETER = {STRING: "String", INTEGER: "Integer", DOUBLE: "Float", BOOLEAN: "Boolean", LIST: "JsonArray",
                 STRUCT: "JsonObject"}
_V1_ARTIFACT = {"system.Artifact": "Artifact", "system.Dataset": "Dataset", "system.Model": "Model",
                "system.Metrics": "Metrics", "system.ClassificationMetrics": "ClassificationMetrics",
                "system.HTML": "HTML", "system.Markdown": "Markdown"}
_PLACEHOLDER_KIND = {("inputs", "parameters"): "inputValue", ("inputs", "artifacts"): "inputPath",
                     ("outputs", "parameters"): "outputPath", ("outputs", "artifacts"): "outputPath"}


def needs_file(container: dict) -> bool:
    """Whether the command has structured placeholders, which only a component file can hold."""
    return any(_structured(item) is not None for item in (container.get("command") or []) + (container.get("args") or []))


def write(ctx: Importer, comp_name: str, comp: dict, container: dict, where: tuple) -> str:
    """Write the component file (once per distinct content); the `uses:` path to it."""
    data: dict = {"name": comp_name.removeprefix("comp-")}
    inputs = []
    definitions = comp.get("inputDefinitions") or {}
    for name, spec in sorted((definitions.get("parameters") or {}).items()):
        item: dict = {"name": name, "type": _V1_PARAMETER.get(spec.get("parameterType"), "String")}
        if "defaultValue" in spec:
            item["default"] = spec["defaultValue"] if isinstance(spec["defaultValue"], str) else json.dumps(spec["defaultValue"])
        elif spec.get("isOptional"):
            item["optional"] = True
        inputs.append(item)
    for name, spec in sorted((definitions.get("artifacts") or {}).items()):
        title = spec.get("artifactType", {}).get("schemaTitle", "")
        if title not in _V1_ARTIFACT or spec.get("isArtifactList"):
            ctx.problems.add(where, f"the artifact input `{name}` ({title}{', a list' if spec.get('isArtifactList') else ''}) "
                             "in a component with IfPresent/Concat")
        item = {"name": name, "type": _V1_ARTIFACT.get(title, "Artifact")}
        if spec.get("isOptional"):
            item["optional"] = True
        inputs.append(item)
    if any(spec.get("description") for kind in ("parameters", "artifacts")
           for spec in (definitions.get(kind) or {}).values()):
        ctx.problems.add(where, "input descriptions in a component with IfPresent/Concat: a v1 component file keeps none")
    if inputs:
        data["inputs"] = inputs
    outputs_def = comp.get("outputDefinitions") or {}
    outputs = [{"name": n, "type": _V1_PARAMETER.get(s.get("parameterType"), "String")}
               for n, s in sorted((outputs_def.get("parameters") or {}).items())]
    outputs += [{"name": n, "type": _V1_ARTIFACT.get(s.get("artifactType", {}).get("schemaTitle"), "Artifact")}
                for n, s in sorted((outputs_def.get("artifacts") or {}).items())]
    if outputs:
        data["outputs"] = outputs
    impl: dict = {"image": container.get("image", "")}
    if ph.INPUT_PARAMETER.search(impl["image"]):
        ctx.problems.add(where + ("container", "image"), "an image read from a param in a component with IfPresent/Concat")
    for field in ("command", "args"):
        if container.get(field):
            impl[field] = [_v1_item(ctx, item, where + ("container", field, i)) for i, item in enumerate(container[field])]
    if container.get("env"):
        impl["env"] = {e["name"]: e.get("value", "") for e in container["env"]}
    data["implementation"] = {"container": impl}
    text = yaml.safe_dump(data, sort_keys=False, width=120)
    stem = re.sub(r"[^a-z0-9_]", "_", data["name"].lower())
    known = {content: path for path, content in ctx.out.files.items() if path.startswith("components/")}
    rel = known.get(text)
    if rel is None:
        rel, n = f"components/{stem}.yaml", 2
        while rel in ctx.out.files:
            rel, n = f"components/{stem}_{n}.yaml", n + 1
        ctx.out.files[rel] = text
    return ("../" if ctx.folder else "./") + rel


def _structured(item):
    if not isinstance(item, str) or not item.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(item)
    except ValueError:
        return None
    return value if isinstance(value, dict) and ({"IfPresent", "Concat"} & set(value)) else None


def _v1_item(ctx: Importer, item, where: tuple):
    structured = _structured(item) if isinstance(item, str) else item
    if isinstance(structured, dict) and "Concat" in structured:
        return {"concat": [_v1_item(ctx, v, where) for v in structured["Concat"]]}
    if isinstance(structured, dict) and "IfPresent" in structured:
        spec = structured["IfPresent"]
        out = {"cond": {"isPresent": spec.get("InputName")}, "then": [_v1_item(ctx, v, where) for v in spec.get("Then") or []]}
        if spec.get("Else"):
            out["else"] = [_v1_item(ctx, v, where) for v in spec["Else"]]
        return {"if": out}
    if not isinstance(item, str):
        return str(item)
    parts, pos = [], 0
    for match in ph.PATTERN.finditer(item):
        side, kind, name, attr = match.groups()
        if side is None:
            ctx.problems.add(where, "the command reads the whole executor input (`{{$}}`)")
            return item
        if match.start() > pos:
            parts.append(item[pos:match.start()])
        placeholder = _PLACEHOLDER_KIND[(side, kind)]
        if attr == "uri":
            placeholder = "inputUri" if side == "inputs" else "outputUri"
        parts.append({placeholder: name})
        pos = match.end()
    if pos < len(item):
        parts.append(item[pos:])
    if len(parts) == 1:
        return parts[0]
    return {"concat": parts} if parts else ""
