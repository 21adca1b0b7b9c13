"""A whole kfyaml file from one DAG component: name, params, steps, `finally:`, outputs.

The root of the IR becomes the pipeline; each DAG component that a task
runs as a nested pipeline becomes a file of its own under `pipelines/`,
written once however many tasks run it.
"""

from __future__ import annotations

import re

from kfyaml.ir.types import FINAL_STATUS

from .containers import ports
from .context import Frame, Importer
from .naming import name_steps
from .sources import Expr, output, wrap
from .steps import steps_of
from .structure import build


def pipeline(ctx: Importer, comp_name: str, comp: dict, name: str, description: str | None) -> dict:
    frame = Frame(comp_name, comp)
    nodes = build(ctx, frame)
    name_steps(ctx, nodes)
    doc: dict = {"name": name}
    if description:
        doc["description"] = description
    params = _params(ctx, comp, frame, nested=comp_name != "root")
    if params:
        doc["params"] = params
    if len(nodes) == 1 and nodes[0].kind == "exit":  # the pipeline's own exit handler
        doc["steps"] = steps_of(ctx, nodes[0].children)
        doc["finally"] = steps_of(ctx, nodes[0].finally_, in_finally=True)
    else:
        doc["steps"] = steps_of(ctx, nodes)
    outputs = _outputs(ctx, comp, frame)
    if outputs:
        doc["outputs"] = outputs
    return doc


def nested_file(ctx: Importer, comp_name: str) -> str:
    """`uses:` for a nested pipeline component, importing it on first use."""
    rel = ctx.out.nested.get(comp_name)
    if rel is None:
        stem = re.sub(r"[^a-z0-9_]", "_", comp_name.removeprefix("comp-").lower())
        rel = f"pipelines/{stem}.yaml"
        n = 2
        while rel in ctx.out.files or rel in ctx.out.nested.values():
            rel, n = f"pipelines/{stem}_{n}.yaml", n + 1
        ctx.out.nested[comp_name] = rel
        sub = Importer(ctx.ir, ctx.problems, ctx.out, folder="pipelines/", file=rel, source=ctx.source, ir_name=comp_name)
        comp = ctx.components[comp_name]
        from .write import dump

        ctx.out.files[rel] = dump(pipeline(sub, comp_name, comp, stem.replace("_", "-"), comp.get("description")))
    return "./" + (rel.removeprefix("pipelines/") if ctx.folder == "pipelines/" else rel)


def _params(ctx: Importer, comp: dict, frame: Frame, nested: bool) -> dict:
    definitions = comp.get("inputDefinitions") or {}
    where = frame.path + ("inputDefinitions",)
    if definitions.get("artifacts") and not nested:  # optional ones are root input artifacts in kfyaml too
        for name, spec in definitions["artifacts"].items():
            if not spec.get("isOptional"):
                ctx.problems.add(where + ("artifacts", name), "a required artifact input of the whole pipeline: kfyaml "
                                 "takes a URI param and imports it (`type: dataset`), a different IR")
        definitions = {**definitions, "artifacts": {k: v for k, v in definitions["artifacts"].items() if v.get("isOptional")}}
    for name, spec in (definitions.get("parameters") or {}).items():
        if spec.get("parameterType") == FINAL_STATUS:  # what KFP writes for a component compiled alone that reads it
            ctx.problems.add(where + ("parameters", name), "a pipeline param of type TASK_FINAL_STATUS (a component "
                             "that reads `dsl.PipelineTaskFinalStatus`, compiled alone as a pipeline): only a "
                             "`finally:` step can read `${{ pipeline.status }}`; put the component in a pipeline's "
                             "`dsl.ExitHandler` and import that")
    out = {}
    for name, port in ports(ctx, definitions, where, True).items():
        if isinstance(port, str):
            out[name] = port
            continue
        param = dict(port)
        if "default" in param and param["default"] is None:
            del param["default"]
            param["optional"] = True
        if param.get("list"):
            ctx.problems.add(where + ("artifacts", name), "a list of artifacts as a pipeline input")
        out[name] = param["type"] if set(param) == {"type"} else param
    return out


def _outputs(ctx: Importer, comp: dict, frame: Frame) -> dict:
    outputs = comp.get("dag", {}).get("outputs", {}) or {}
    out = {}
    for name, selector in sorted((outputs.get("parameters") or {}).items()):
        sel = selector.get("valueFromParameter")
        if sel is None:
            ctx.problems.add(frame.path + ("dag", "outputs", "parameters", name), "a pipeline output chosen among several")
            continue
        value = output(ctx, frame, sel["producerSubtask"], sel["outputParameterKey"], frame.path + ("dag", "outputs"))
        if isinstance(value, Expr):
            out[name] = wrap(value)
    for name, selector in sorted((outputs.get("artifacts") or {}).items()):
        sels = selector.get("artifactSelectors") or []
        if len(sels) != 1:
            ctx.problems.add(frame.path + ("dag", "outputs", "artifacts", name), "a pipeline output chosen among several")
            continue
        value = output(ctx, frame, sels[0]["producerSubtask"], sels[0]["outputArtifactKey"], frame.path + ("dag", "outputs"))
        if isinstance(value, Expr):
            out[name] = wrap(value)
    return out
