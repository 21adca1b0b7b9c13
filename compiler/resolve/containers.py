"""Inline container steps: typed ports, and the command's `${{ inputs.x }}` placeholders.

A container's ports are declared by the user, so this is where a port
nobody uses (UNUSED_DECLARATION) or a placeholder naming no port
(UNKNOWN_PLACEHOLDER) is found; lowering then turns each placeholder into
KFP's `{{$...}}` form without checking again.
"""

from __future__ import annotations

from ..codes import (
    ARTIFACT_IN_TEXT,
    BAD_DEFAULT,
    MISPLACED_KEY,
    SHELL_INJECTION,
    UNKNOWN_PLACEHOLDER,
    UNUSED_DECLARATION,
)
from ..diagnostics import suggest
from ..expressions import ExprError, has_expression, template_diagnostic
from ..load import Path
from ..model import Component, Literal, Port, Ref, Template, Type
from ..values import a, scalar_text, show, value_ok
from .context import Context


def image(ctx: Context, raw: str, path: Path) -> str | Template:
    """The image as written, or a Template when it reads a param."""
    if has_expression(raw):
        return ctx.template(raw, path + ("image",)) or raw
    return raw


def ports(ctx: Context, specs: dict | None, path: Path, is_input: bool) -> dict[str, Port]:
    out = {}
    for name, spec in (specs or {}).items():
        spec = {"type": spec} if isinstance(spec, str) else spec
        t = Type(spec["type"])
        if spec.get("list"):
            if not t.is_artifact or not is_input:
                ctx.error(path + (name, "list"), MISPLACED_KEY,
                          "`list: true` is for artifact inputs that gather a loop's artifacts", key=True)
            else:
                t = Type("list", t)
        if spec.get("optional") and (not t.is_artifact or not is_input):
            ctx.error(path + (name, "optional"), MISPLACED_KEY, "`optional: true` is for artifact inputs; a value "
                      "input is optional when it has a `default`", key=True)
        has_default = "default" in spec
        if spec.get("optional") and t.is_artifact and is_input:  # KFP's `Input[Dataset] = None`: isOptional
            has_default = True
        elif has_default and (t.is_artifact or not is_input):
            ctx.error(path + (name, "default"), BAD_DEFAULT, "only value inputs can have a default", key=True)
            has_default = False
        elif has_default and not value_ok(spec["default"], t):
            ctx.error(path + (name, "default"), BAD_DEFAULT,
                      f'the default of input "{name}" must be {a(t)}, not {show(spec["default"])}')
        out[name] = Port(name, t, path + (name,), spec.get("default"), has_default, spec.get("description"))
    return out


def container(ctx: Context, sid: str, spec: dict, path: Path) -> Component:
    inputs = ports(ctx, spec.get("inputs"), path + ("inputs",), True)
    outputs = ports(ctx, spec.get("outputs"), path + ("outputs",), False)
    for name in set(inputs) & set(outputs):
        ctx.error(path + ("outputs", name), MISPLACED_KEY,
                  f'"{name}" is both an input and an output; give them different names', key=True)
    lines = {}
    for key in ("command", "args"):
        values = []
        for i, raw in enumerate(spec.get(key) or []):
            raw = raw if isinstance(raw, str) else scalar_text(raw)
            values.append(ctx.value(raw, path + (key, i)))
        lines[key] = tuple(v for v in values if v is not None)
    used = placeholders(ctx, lines["command"] + lines["args"], inputs, outputs)
    _shell_scripts(ctx, lines["command"] + lines["args"], inputs)
    for declared, kind in ((inputs, "input"), (outputs, "output")):
        for name, port in declared.items():
            if (kind, name) not in used:
                what = "receives its value or path" if kind == "input" else "receives the path to write it"
                ctx.error(port.path, UNUSED_DECLARATION, f'{kind} "{name}" is declared but the command never {what}; '
                                                         f'add "${{{{ {kind}s.{name} }}}}" to `command:` or `args:`',
                          key=True)
    return Component(sid, inputs, outputs, image(ctx, spec["image"], path), lines["command"], lines["args"], path)


_SHELLS = {"sh", "bash", "dash", "zsh", "ash", "ksh"}


def _shell_scripts(ctx: Context, values, inputs: dict[str, Port]) -> None:
    """Warn when a value input is pasted into a shell script: `sh -c "echo ${{ inputs.msg }}"` runs
    whatever `;`, `$(...)` or quotes the value holds. As an argument after the script it is data."""
    items = list(values)
    for i, value in enumerate(items[:-2]):
        program = value.value if isinstance(value, Literal) else None
        flag = items[i + 1].value if isinstance(items[i + 1], Literal) else None
        if not (isinstance(program, str) and program.rsplit("/", 1)[-1] in _SHELLS and isinstance(flag, str)
                and flag.startswith("-") and "c" in flag):
            continue
        script = items[i + 2]
        if not isinstance(script, Template):
            continue
        for offset, expr in zip(script.offsets, script.exprs, strict=False):
            if isinstance(expr, Ref) and expr.root == "inputs" and expr.parts and expr.parts[0] in inputs \
                    and not inputs[expr.parts[0]].type.is_artifact:
                name = expr.parts[0]
                ctx.diags.append(template_diagnostic(ctx.doc, script.path, ExprError(
                    SHELL_INJECTION, f"`${{{{ inputs.{name} }}}}` is pasted into a shell script: a value holding `;`, "
                    f"`$(...)` or quotes would run as commands. Pass it after the script and read it there: "
                    f"[{program}, {flag}, 'echo \"$0\"', \"${{{{ inputs.{name} }}}}\"]", offset)))


def placeholders(ctx: Context, values, inputs: dict[str, Port], outputs: dict[str, Port]) -> set[tuple[str, str]]:
    """The (input|output, name) pairs the command reads; anything else in `${{ }}` is an error here."""
    used = set()

    def error(value: Template, offset: int, code, message: str):
        ctx.diags.append(template_diagnostic(ctx.doc, value.path, ExprError(code, message, offset)))

    for value in values:
        if not isinstance(value, Template):
            continue
        for offset, expr in zip(value.offsets, value.exprs, strict=False):
            if not (isinstance(expr, Ref) and expr.root in ("inputs", "outputs") and 1 <= len(expr.parts) <= 2):
                error(value, offset, UNKNOWN_PLACEHOLDER,
                      "a command or arg may only use ${{ inputs.<name> }} and ${{ outputs.<name> }}; "
                      "pass params and step outputs in through `with:` and an input")
                continue
            kind, name = expr.root[:-1], expr.parts[0]
            declared = inputs if kind == "input" else outputs
            if name not in declared:
                hint = suggest(name, declared) or f"; declare it under `{expr.root}:`"
                error(value, offset, UNKNOWN_PLACEHOLDER, f'the step has no {kind} "{name}"{hint}')
                continue
            port_type = declared[name].type
            if len(expr.parts) == 2 and (expr.parts[1] not in ("path", "uri") or not port_type.is_artifact):
                error(value, offset, UNKNOWN_PLACEHOLDER,
                      f"`{expr.text}`: only an artifact has `.path` and `.uri`; write `{expr.root}.{name}`"
                      if not port_type.is_artifact else f"`{expr.text}`: an artifact offers `.path` and `.uri`")
                continue
            if kind == "input" and port_type.name == "list" and port_type.is_artifact:
                error(value, offset, ARTIFACT_IN_TEXT, f'input "{name}" is a list of artifacts and has no single path')
            used.add((kind, name))
    return used
