"""`for_each:` and `matrix:`: a step's loop, with what is known of its items.

A literal list's item type (and a matrix's axis types) are known here. A
loop over an expression gets its item type from the references pass, which
resolves the list's own type: the model says only "ask the references".
"""

from __future__ import annotations

import itertools
import json
import math

from ..codes import BAD_MATRIX, MISPLACED_KEY
from ..diagnostics import suggest
from ..load import Path
from ..model import Literal, Loop, Type
from ..values import dict_fields, element_type, literal_type
from .context import Context

MAX_COMBINATIONS = 10_000  # a matrix's cells: each one is a task when the pipeline runs


def loop_of(ctx: Context, spec: dict, path: Path) -> Loop | None:
    if "for_each" in spec and "matrix" in spec:
        ctx.error(path + ("matrix",), MISPLACED_KEY, "a step takes `for_each:` or `matrix:`, not both", key=True)
        return None
    if "for_each" in spec:
        return for_each(ctx, spec, path)
    if "matrix" in spec:
        if "as" in spec:
            ctx.error(path + ("as",), MISPLACED_KEY, "a matrix's values are `${{ matrix.<axis> }}`; remove `as:`", key=True)
        return matrix(ctx, spec, path)
    if "as" in spec or "max_parallel" in spec:
        key = "as" if "as" in spec else "max_parallel"
        ctx.error(path + (key,), MISPLACED_KEY, f"`{key}:` only applies with `for_each:` or `matrix:`", key=True)
    return None


_RESERVED = ("params", "steps", "pipeline", "task", "inputs", "outputs", "matrix")


def for_each(ctx: Context, spec: dict, path: Path) -> Loop | None:
    raw = spec["for_each"]
    var = spec.get("as", "item")
    if var in _RESERVED:
        ctx.error(path + ("as",), MISPLACED_KEY, f"`as: {var}` would hide `{var}.` names in expressions; "
                                                 "choose another name for the loop variable")
    if isinstance(raw, list):
        return Loop(Literal(raw, path + ("for_each",)), var, spec.get("max_parallel"), element_type(literal_type(raw)),
                    dict_fields(raw) or dict_fields(_json_objects(raw)))
    template = ctx.template(raw, path + ("for_each",))
    if template is None:
        return None
    return Loop(template, var, spec.get("max_parallel"), None)


def _json_objects(items: list) -> list:
    """Text items that each hold a JSON object, parsed: KFP's backend reads `item.a` from such text
    (`parseJson(string_value)["a"]`), so their fields are known too. Anything else: []."""
    parsed = []
    for item in items:
        if not isinstance(item, str) or not item.lstrip().startswith("{"):
            return []
        try:
            value = json.loads(item)
        except ValueError:
            return []
        if not isinstance(value, dict):
            return []
        parsed.append(value)
    return parsed


def matrix(ctx: Context, spec: dict, path: Path) -> Loop | None:
    """The product of the axes, less `exclude`, plus `include`, in a stable order."""
    m = spec["matrix"]
    where = path + ("matrix",)
    axes = {k: v for k, v in m.items() if k not in ("include", "exclude")}
    if not axes:
        ctx.error(where, BAD_MATRIX, "a matrix needs at least one axis, e.g. `model: [a, b]`", key=True)
        return None
    size = math.prod(len(v) if isinstance(v, list) else 1 for v in axes.values())
    if size > MAX_COMBINATIONS:
        ctx.error(where, BAD_MATRIX, f"the axes make {size:,} combinations; the limit is {MAX_COMBINATIONS:,} "
                                     "(each is a task in the run): use fewer values, or a loop over a list you build",
                  key=True)
        return None
    combos = [dict(zip(axes, values, strict=False)) for values in itertools.product(*axes.values())]
    for i, entry in enumerate(m.get("exclude", [])):
        unknown = [k for k in entry if k not in axes]
        if unknown:
            ctx.error(where + ("exclude", i, unknown[0]), BAD_MATRIX,
                      f'exclude names no axis "{unknown[0]}"{suggest(unknown[0], axes)}', key=True)
            continue
        before = len(combos)
        combos = [c for c in combos if any(c[k] != v for k, v in entry.items())]
        if len(combos) == before:
            ctx.error(where + ("exclude", i), BAD_MATRIX, "this exclude entry matches no combination; remove it")
    for i, entry in enumerate(m.get("include", [])):
        if set(entry) != set(axes):
            ctx.error(where + ("include", i), BAD_MATRIX,
                      f"an include entry sets every axis ({', '.join(axes)}) and nothing else")
            continue
        combo = {k: entry[k] for k in axes}
        if combo not in combos:
            combos.append(combo)
    if not combos:
        ctx.error(where, BAD_MATRIX, "exclude removes every combination; the step would never run", key=True)
        return None
    fields = tuple((axis, element_type(literal_type([c[axis] for c in combos]))) for axis in axes)
    return Loop(Literal(combos, where), "matrix", spec.get("max_parallel"), Type("dict"), fields)


__all__ = ["loop_of"]
