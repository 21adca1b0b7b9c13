"""The pipeline's params and steps: each step's kind, inputs, needs, condition and children.

A step is exactly one kind (`uses:`, `image:`, `python:`, `steps:` or
`branches:`); a group's children and a branch's steps are resolved here
with the settings they inherit. Keys that are valid alone but not in this
combination are reported as MISPLACED_KEY.
"""

from __future__ import annotations

import re
from typing import Any

from ..codes import BAD_DEFAULT, BRANCH_STRUCTURE, DUPLICATE_ID, MISPLACED_KEY
from ..load import Path
from ..model import Param, Pipeline, Step, Type
from ..values import a, show, value_ok
from . import components, containers, literal_fields, loops, settings, trainjob
from .context import Context

_KINDS = ("uses", "image", "python", "importer", "steps", "branches")
_CONTAINER_ONLY = ("command", "args", "inputs", "outputs")
_NOT_ON_DAG = ("resources", "env", "kubernetes", "timeout", "retry", "cache", "debug_pause")


def sanitize_name(name: str) -> str:
    """KFP's pipeline-name rule: lower case, runs of other characters to '-'."""
    out = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return out or "pipeline"


def pipeline(ctx: Context) -> Pipeline:
    literal_fields.check(ctx)
    data = ctx.doc.data
    params = {name: param(ctx, name, spec, ("params", name)) for name, spec in (data.get("params") or {}).items()}
    defaults = data.get("defaults") or {}
    main = steps(ctx, data["steps"], ("steps",), None, defaults, in_finally=False)
    final = steps(ctx, data.get("finally") or {}, ("finally",), None, defaults, in_finally=True)
    outputs = {}
    for name, text in (data.get("outputs") or {}).items():
        template = ctx.template(text, ("outputs", name))
        if template is not None:
            outputs[name] = template
    plan = None
    if isinstance(data.get("schedule"), dict):
        from .schedule import schedule

        plan = schedule(ctx, data["schedule"], sanitize_name(data["name"]), params)
    return Pipeline(name=sanitize_name(data["name"]), description=data.get("description"), params=params,
                    steps=main, finally_steps=final, outputs=outputs,
                    display_name=data.get("display_name") or data["name"], schedule=plan,
                    root=data.get("pipeline_root"), config=settings.run_config(ctx, data.get("pipeline_config") or {}))


def param(ctx: Context, name: str, spec: Any, path: Path) -> Param:
    if isinstance(spec, str):
        return Param(name, Type(spec), path)
    t = Type(spec["type"])
    has_default = "default" in spec or bool(spec.get("optional"))  # optional: may be unset, no default value
    default = spec.get("default")
    if "default" in spec and not value_ok(default, t):
        ctx.error(path + ("default",), BAD_DEFAULT, f"the default of param \"{name}\" must be {a(t)}, not {show(default)}")
    return Param(name, t, path, default, has_default, spec.get("description"))


def steps(ctx: Context, specs: dict, path: Path, parent: Step | None, inherited: dict, in_finally: bool) -> list[Step]:
    return [step(ctx, sid, spec, path + (sid,), parent, inherited, in_finally) for sid, spec in specs.items()]


def _kind(ctx: Context, sid: str, spec: dict, path: Path) -> str | None:
    # `image:` is a python step's base image, not a kind of its own there.
    kinds = [k for k in _KINDS if k in spec and not (k == "image" and "python" in spec)]
    if len(kinds) != 1:
        ctx.error(path, MISPLACED_KEY, f'step "{sid}" needs exactly one of uses:, image:, python:, importer:, steps: or '
                                       'branches:'
                                       + (f" (it has {', '.join(kinds)})" if kinds else ""), key=True)
    kind = kinds[0] if len(kinds) == 1 else None
    if kind != "image" and "image" not in kinds:
        for key in _CONTAINER_ONLY:
            if key in spec:
                what = ("a python step's inputs and outputs come from its function's signature" if kind == "python"
                        else f"`{key}:` belongs to inline container steps (with `image:`)")
                ctx.error(path + (key,), MISPLACED_KEY, what, key=True)
    if "packages" in spec and kind != "python":
        ctx.error(path + ("packages",), MISPLACED_KEY, "`packages:` belongs to `python:` steps", key=True)
    return kind


def step(ctx: Context, sid: str, spec: dict, path: Path, parent: Step | None, inherited: dict, in_finally: bool) -> Step:
    if sid in ctx.seen_ids:
        first = ctx.doc.locate(ctx.seen_ids[sid], key=True)
        ctx.error(path, DUPLICATE_ID, f'step id "{sid}" is already used at line {first[0]}; '
                                      "ids are unique in the whole file, groups included", key=True)
    else:
        ctx.seen_ids[sid] = path
    step = Step(id=sid, path=path, kind="component", parent=parent, in_finally=in_finally,
                display_name=spec.get("display_name"), written=frozenset(spec))
    kind = _kind(ctx, sid, spec, path)
    if "sha256" in spec and kind != "uses":
        ctx.error(path + ("sha256",), MISPLACED_KEY, "`sha256:` pins a `uses: https://...` file; this step has no "
                                                     "`uses:`", key=True)
    if kind == "uses":
        step.component = components.uses(ctx, spec["uses"], path + ("uses",), spec.get("sha256"))
    elif kind == "image":
        step.component = containers.container(ctx, sid, spec, path)
    elif kind == "python":
        step.component = components.python(ctx, sid, spec, path)
    elif kind == "importer":
        step.component = components.importer(sid, spec["importer"], path)
        for key in ("with", "resources", "env", "kubernetes", "timeout", "retry", "debug_pause"):
            if key in spec:
                ctx.error(path + (key,), MISPLACED_KEY, f"an importer step takes no `{key}:`; it only records the "
                                                        "artifact at `uri:`", key=True)
    elif kind == "steps":
        step.kind = "group"
        if "with" in spec:
            ctx.error(path + ("with",), MISPLACED_KEY, "a group has no inputs; set `with:` on the steps inside it", key=True)
    # Settings: `defaults:` and groups, then the component's own defaults, then the step's.
    component_settings = step.component.settings if step.component is not None else {}
    inherited_here = settings.inherit(settings.inherit(inherited, component_settings), spec)
    args = {name: ctx.value(raw, path + ("with", name)) for name, raw in (spec.get("with") or {}).items()}
    if kind == "importer":
        args = {"uri": ctx.value(spec["importer"]["uri"], path + ("importer", "uri"))}
    step.args = {k: v for k, v in args.items() if v is not None}
    step.unparsed_args = frozenset(k for k, v in args.items() if v is None)
    if step.component is not None and step.component.dag is not None:
        for key in _NOT_ON_DAG:
            if key in spec:
                ctx.error(path + (key,), MISPLACED_KEY, f"`{key}:` has no effect on a step that runs a pipeline or "
                                                        "compiled component file; set it on the steps inside that file",
                          key=True)
    needs = spec.get("needs") or []
    needs = [needs] if isinstance(needs, str) else needs
    step.needs = [(n, path + ("needs", i) if isinstance(spec.get("needs"), list) else path + ("needs",))
                  for i, n in enumerate(needs)]
    if "if" in spec:
        step.condition = ctx.template(spec["if"], path + ("if",))
    step.loop = loops.loop_of(ctx, spec, path)
    step.ignore_upstream_failure = bool(spec.get("ignore_upstream_failure"))
    if step.ignore_upstream_failure and (kind not in ("uses", "image", "python") or step.loop or "if" in spec
                                         or in_finally):
        ctx.error(path + ("ignore_upstream_failure",), MISPLACED_KEY,
                  "`ignore_upstream_failure:` is for a single step without `if:` or a loop (a `finally:` step "
                  "already runs whatever happened)", key=True)
    settings.apply(ctx, step, inherited_here, path)
    if step.component is not None and step.component.source == trainjob.STEP:
        trainjob.attach(ctx, step, path, bool((ctx.doc.data.get("pipeline_config") or {}).get("workspace")))
    if kind == "steps":
        step.children = steps(ctx, spec["steps"], path + ("steps",), step, inherited_here, in_finally)
    if "finally" in spec:
        if kind != "steps" or parent is not None or in_finally or "if" in spec or step.loop or ctx.doc.data.get("finally"):
            ctx.error(path + ("finally",), MISPLACED_KEY,
                      "`finally:` on a step is for a top-level group without `if:` or a loop, in a pipeline with "
                      "no `finally:` of its own: KFP allows exit handlers side by side, not inside each other",
                      key=True)
        else:
            step.finally_children = steps(ctx, spec["finally"], path + ("finally",), step, inherited_here, True)
    if kind == "branches":
        step.kind = "branches"
        for key in ("with", "if", "for_each"):
            if key in spec:
                ctx.error(path + (key,), MISPLACED_KEY, f"a branches step takes no `{key}:`; "
                                                        + ("put the condition in the first branch" if key == "if"
                                                           else "wrap it in a group" if key == "for_each"
                                                           else "set `with:` on the steps inside its branches"), key=True)
        step.condition, step.loop = None, None
        step.children = branches(ctx, step, spec["branches"], path + ("branches",), inherited_here, in_finally)
    if in_finally and (kind in ("steps", "branches") or "for_each" in spec or "if" in spec):
        key = kind if kind in ("steps", "branches") else ("for_each" if "for_each" in spec else "if")
        ctx.error(path + (key,), MISPLACED_KEY, f"a `finally:` step is a single step; `{key}:` is not allowed there",
                  key=True)
    return step


def _branch_key(ctx: Context, route: Step, spec: dict, where: Path, i: int, count: int) -> str | None:
    keys = [k for k in ("if", "elif", "else") if k in spec]
    key = keys[0] if keys else None
    if len(keys) != 1:
        ctx.error(where, BRANCH_STRUCTURE, f"branch {i + 1} of \"{route.id}\" needs exactly one of if:, elif:, else:")
    elif i == 0 and key != "if":
        ctx.error(where + (key,), BRANCH_STRUCTURE, f'the first branch of "{route.id}" is `if:`, not `{key}:`', key=True)
    elif i > 0 and key == "if":
        ctx.error(where + (key,), BRANCH_STRUCTURE, f'only the first branch is `if:`; write `elif:` for branch {i + 1}',
                  key=True)
    elif key == "else" and i != count - 1:
        ctx.error(where + (key,), BRANCH_STRUCTURE, "`else:` must be the last branch; later branches could never run",
                  key=True)
    return key


def branches(ctx: Context, route: Step, specs: list, path: Path, inherited: dict, in_finally: bool) -> list[Step]:
    """Each branch becomes a group that may be skipped: its `if:`/`elif:` condition, or `else`."""
    out: list[Step] = []
    for i, spec in enumerate(specs):
        where = path + (i,)
        key = _branch_key(ctx, route, spec, where, i, len(specs))
        branch = Step(id=f"{route.id}[{i}]", path=where, kind="group", parent=route, in_finally=in_finally,
                      written=frozenset(spec), is_else=key == "else")
        if key in ("if", "elif"):
            branch.condition = ctx.template(spec[key], where + (key,))
        branch.children = steps(ctx, spec["steps"], where + ("steps",), branch, inherited, in_finally)
        for name, text in (spec.get("outputs") or {}).items():
            template = ctx.template(text, where + ("outputs", name))
            if template is not None:
                branch.branch_outputs[name] = [template]
        out.append(branch)
    names = sorted({n for b in out for n in b.branch_outputs})
    for i, branch in enumerate(out):
        missing = [n for n in names if n not in branch.branch_outputs]
        if missing:
            ctx.error(branch.path, BRANCH_STRUCTURE, f'branch {i + 1} of "{route.id}" does not declare the branch '
                                                     f'output(s) {", ".join(missing)}; every branch declares the same outputs')
    if names and not out[-1].is_else:
        ctx.error(route.path, BRANCH_STRUCTURE, f'"{route.id}" has branch outputs but no `else:` branch: when no '
                                                "condition holds, no branch runs and the outputs have no value", key=True)
    route.branch_outputs = {n: [b.branch_outputs.get(n, [None])[0] for b in out] for n in names}
    return out
