"""Pass 3, resolve: the schema-valid document becomes a typed `Pipeline`.

Here each step gets its kind and component (a catalog entry or an inline
container), its settings with `defaults:` and enclosing groups' settings
folded in, and every `${{ }}` string parsed. Names inside expressions are
checked later, by the types pass, once all steps are known.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

from .catalog import Catalog
from .diagnostics import Diagnostic, make, suggest
from .expressions import ExprError, has_expression, parse_template, template_diagnostic
from .load import Document, Path
from .model import (ANY, Component, Kubernetes, Literal, Loop, Param, Pipeline, Port, Ref, Resources, Retry, Source,
                    Step, Template, Type)

_CPU = re.compile(r"^([0-9]*[.])?[0-9]+m?$")
_MEMORY = re.compile(r"^[0-9]+(E|Ei|P|Pi|T|Ti|G|Gi|M|Mi|K|Ki)?$")
_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(s|m|h|d)?$")
_UNITS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_KINDS = ("uses", "image", "python", "steps", "branches")
_CONTAINER_ONLY = ("command", "args", "inputs", "outputs")
_INHERITED = ("cache", "retry", "resources", "env", "timeout", "kubernetes")
_MERGED = ("resources", "env", "kubernetes")  # merged key by key; the others replace


def sanitize_name(name: str) -> str:
    """KFP's pipeline-name rule: lower case, runs of other characters to '-'."""
    out = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return out or "pipeline"


def value_ok(value: Any, t: Type) -> bool:
    """Whether a literal YAML value has type `t`."""
    if t.name in ("any",):
        return True
    if t.is_artifact:  # an artifact param's value is its URI
        return isinstance(value, str)
    if t.name == "string":
        return isinstance(value, str)
    if t.name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if t.name == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if t.name == "bool":
        return isinstance(value, bool)
    if t.name == "list":
        return isinstance(value, list)
    if t.name == "dict":
        return isinstance(value, dict)
    return False


def literal_type(value: Any) -> Type:
    if isinstance(value, bool):
        return Type("bool")
    if isinstance(value, int):
        return Type("int")
    if isinstance(value, float):
        return Type("float")
    if isinstance(value, str):
        return Type("string")
    if isinstance(value, dict):
        return Type("dict")
    if isinstance(value, list):
        items = {literal_type(v) for v in value}
        if items == {Type("int"), Type("float")}:
            items = {Type("float")}
        return Type("list", items.pop() if len(items) == 1 else None)
    return ANY


def duration_seconds(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        return None
    return float(match.group(1)) * _UNITS[match.group(2)]


class Resolver:
    def __init__(self, doc: Document, catalog: Catalog, chain: tuple[str, ...] = (), compile_nested=None):
        self.doc = doc
        self.catalog = catalog
        self.diags: list[Diagnostic] = []
        self.seen_ids: dict[str, Path] = {}
        self.chain = chain                    # files being compiled, outermost first: for cycles
        self.compile_nested = compile_nested  # compiles a kfyaml pipeline `uses:` names
        self.component_cache: dict[str, Component | None] = {}

    def error(self, path: Path, code: str, message: str, key: bool = False):
        line, col = self.doc.locate(path, key=key)
        self.diags.append(make(self.doc.file, line, col, code, message))

    # ---- entry -------------------------------------------------------------

    def resolve(self) -> Pipeline:
        data = self.doc.data
        params = {name: self.param(name, spec, ("params", name)) for name, spec in (data.get("params") or {}).items()}
        defaults = data.get("defaults") or {}
        steps = self.steps(data["steps"], ("steps",), None, defaults, in_finally=False)
        finally_steps = self.steps(data.get("finally") or {}, ("finally",), None, defaults, in_finally=True)
        outputs = {}
        for name, text in (data.get("outputs") or {}).items():
            template = self.template(text, ("outputs", name))
            if template is not None:
                outputs[name] = template
        return Pipeline(name=sanitize_name(data["name"]), description=data.get("description"), params=params,
                        steps=steps, finally_steps=finally_steps, outputs=outputs, display_name=data["name"])

    def template(self, text: str, path: Path, whole: bool = True) -> Template | None:
        try:
            template = parse_template(text, path)
        except ExprError as err:
            self.diags.append(template_diagnostic(self.doc, path, err))
            return None
        if whole and template.whole is None:
            self.error(path, "KY501", "this must be one expression and nothing else: "
                                      '"${{ ... }}", with any text inside the braces')
            return None
        return template

    def value(self, raw: Any, path: Path):
        if isinstance(raw, str) and has_expression(raw):
            return self.template(raw, path, whole=False)
        return Literal(raw, path)

    def param(self, name: str, spec: Any, path: Path) -> Param:
        if isinstance(spec, str):
            return Param(name, Type(spec), path)
        t = Type(spec["type"])
        has_default = "default" in spec
        default = spec.get("default")
        if has_default and not value_ok(default, t):
            self.error(path + ("default",), "KY308",
                       f"the default of param \"{name}\" must be {_a(t)}, not {show(default)}")
        return Param(name, t, path, default, has_default, spec.get("description"))

    # ---- steps -------------------------------------------------------------

    def steps(self, specs: dict, path: Path, parent: Step | None, inherited: dict, in_finally: bool) -> list[Step]:
        return [self.step(sid, spec, path + (sid,), parent, inherited, in_finally) for sid, spec in specs.items()]

    def step(self, sid: str, spec: dict, path: Path, parent: Step | None, inherited: dict, in_finally: bool) -> Step:
        if sid in self.seen_ids:
            first = self.doc.locate(self.seen_ids[sid], key=True)
            self.error(path, "KY307", f'step id "{sid}" is already used at line {first[0]}; '
                                      "ids are unique in the whole file, groups included", key=True)
        else:
            self.seen_ids[sid] = path
        step = Step(id=sid, path=path, kind="component", parent=parent, in_finally=in_finally,
                    display_name=spec.get("display_name"), written=frozenset(spec))
        # `image:` is a python step's base image, not a kind of its own there.
        kinds = [k for k in _KINDS if k in spec and not (k == "image" and "python" in spec)]
        if len(kinds) != 1:
            self.error(path, "KY201", f'step "{sid}" needs exactly one of uses:, image:, python:, steps: or branches:'
                                      + (f" (it has {', '.join(kinds)})" if kinds else ""), key=True)
        kind = kinds[0] if len(kinds) == 1 else None
        if kind != "image" and "image" not in kinds:
            for key in _CONTAINER_ONLY:
                if key in spec:
                    what = ("a python step's inputs and outputs come from its function's signature" if kind == "python"
                            else f"`{key}:` belongs to inline container steps (with `image:`)")
                    self.error(path + (key,), "KY201", what, key=True)
        if "packages" in spec and kind != "python":
            self.error(path + ("packages",), "KY201", "`packages:` belongs to `python:` steps", key=True)
        if kind == "uses":
            step.component = self.uses(spec["uses"], path + ("uses",))
        elif kind == "image":
            step.component = self.container(sid, spec, path)
        elif kind == "python":
            step.component = self.python(sid, spec, path)
        elif kind == "steps":
            step.kind = "group"
            if "with" in spec:
                self.error(path + ("with",), "KY201", "a group has no inputs; set `with:` on the steps inside it", key=True)
        # Settings: `defaults:` and groups, then the component's own defaults, then the step's.
        component_settings = step.component.settings if step.component is not None else {}
        settings = _inherit(_inherit(inherited, component_settings), spec)
        args = {name: self.value(raw, path + ("with", name)) for name, raw in (spec.get("with") or {}).items()}
        step.args = {k: v for k, v in args.items() if v is not None}
        if step.component is not None and step.component.dag is not None:
            for key in ("resources", "env", "kubernetes", "timeout", "retry", "cache"):
                if key in spec:
                    self.error(path + (key,), "KY201", f"`{key}:` has no effect on a step that runs a pipeline or "
                                                       "compiled component file; set it on the steps inside that file",
                               key=True)
        step.unparsed_args = frozenset(k for k, v in args.items() if v is None)
        needs = spec.get("needs") or []
        needs = [needs] if isinstance(needs, str) else needs
        step.needs = [(n, path + ("needs", i) if isinstance(spec.get("needs"), list) else path + ("needs",))
                      for i, n in enumerate(needs)]
        if "if" in spec:
            step.condition = self.template(spec["if"], path + ("if",))
        if "for_each" in spec and "matrix" in spec:
            self.error(path + ("matrix",), "KY201", "a step takes `for_each:` or `matrix:`, not both", key=True)
        elif "for_each" in spec:
            step.loop = self.loop(spec, path)
        elif "matrix" in spec:
            step.loop = self.matrix(spec, path)
            if "as" in spec:
                self.error(path + ("as",), "KY201", "a matrix's values are `${{ matrix.<axis> }}`; remove `as:`", key=True)
        elif "as" in spec or "max_parallel" in spec:
            key = "as" if "as" in spec else "max_parallel"
            self.error(path + (key,), "KY201", f"`{key}:` only applies with `for_each:` or `matrix:`", key=True)
        self.settings(step, settings, path)
        if kind == "steps":
            step.children = self.steps(spec["steps"], path + ("steps",), step, settings, in_finally)
        if kind == "branches":
            step.kind = "branches"
            for key in ("with", "if", "for_each"):
                if key in spec:
                    self.error(path + (key,), "KY201", f"a branches step takes no `{key}:`; "
                                                       + ("put the condition in the first branch" if key == "if"
                                                          else "wrap it in a group" if key == "for_each"
                                                          else "set `with:` on the steps inside its branches"), key=True)
            step.condition, step.loop = None, None
            step.children = self.branches(step, spec["branches"], path + ("branches",), settings, in_finally)
        if in_finally and (kind in ("steps", "branches") or "for_each" in spec or "if" in spec):
            key = kind if kind in ("steps", "branches") else ("for_each" if "for_each" in spec else "if")
            self.error(path + (key,), "KY201", f"a `finally:` step is a single step; `{key}:` is not allowed there", key=True)
        return step

    def branches(self, route: Step, specs: list, path: Path, settings: dict, in_finally: bool) -> list[Step]:
        """Each branch becomes a group that may be skipped: its `if:`/`elif:` condition, or `else`."""
        out: list[Step] = []
        for i, spec in enumerate(specs):
            where = path + (i,)
            keys = [k for k in ("if", "elif", "else") if k in spec]
            key = keys[0] if keys else None
            if len(keys) != 1:
                self.error(where, "KY410", f"branch {i + 1} of \"{route.id}\" needs exactly one of if:, elif:, else:")
            elif i == 0 and key != "if":
                self.error(where + (key,), "KY410", f'the first branch of "{route.id}" is `if:`, not `{key}:`', key=True)
            elif i > 0 and key == "if":
                self.error(where + (key,), "KY410", f'only the first branch is `if:`; write `elif:` for branch {i + 1}', key=True)
            elif key == "else" and i != len(specs) - 1:
                self.error(where + (key,), "KY410", "`else:` must be the last branch; later branches could never run",
                           key=True)
            branch = Step(id=f"{route.id}[{i}]", path=where, kind="group", parent=route, in_finally=in_finally,
                          written=frozenset(spec), is_else=key == "else")
            if key in ("if", "elif"):
                branch.condition = self.template(spec[key], where + (key,))
            branch.children = self.steps(spec["steps"], where + ("steps",), branch, settings, in_finally)
            for name, text in (spec.get("outputs") or {}).items():
                template = self.template(text, where + ("outputs", name))
                if template is not None:
                    branch.branch_outputs[name] = [template]
            out.append(branch)
        names = sorted({n for b in out for n in b.branch_outputs})
        for i, branch in enumerate(out):
            missing = [n for n in names if n not in branch.branch_outputs]
            if missing:
                self.error(branch.path, "KY410", f'branch {i + 1} of "{route.id}" does not declare the branch output(s) '
                                                 f'{", ".join(missing)}; every branch declares the same outputs')
        if names and not out[-1].is_else:
            self.error(route.path, "KY410", f'"{route.id}" has branch outputs but no `else:` branch: when no condition '
                                            "holds, no branch runs and the outputs have no value", key=True)
        route.branch_outputs = {n: [b.branch_outputs.get(n, [None])[0] for b in out] for n in names}
        return out

    def loop(self, spec: dict, path: Path) -> Loop | None:
        raw = spec["for_each"]
        var = spec.get("as", "item")
        if isinstance(raw, list):
            return Loop(Literal(raw, path + ("for_each",)), var, spec.get("max_parallel"), _item_type(raw),
                        _dict_fields(raw))
        template = self.template(raw, path + ("for_each",))
        if template is None:
            return None
        return Loop(template, var, spec.get("max_parallel"), ANY)

    def matrix(self, spec: dict, path: Path) -> Loop | None:
        """The product of the axes, less `exclude`, plus `include`, in a stable order."""
        import itertools

        m = spec["matrix"]
        where = path + ("matrix",)
        axes = {k: v for k, v in m.items() if k not in ("include", "exclude")}
        if not axes:
            self.error(where, "KY201", "a matrix needs at least one axis, e.g. `model: [a, b]`", key=True)
            return None
        combos = [dict(zip(axes, values)) for values in itertools.product(*axes.values())]
        for i, entry in enumerate(m.get("exclude", [])):
            unknown = [k for k in entry if k not in axes]
            if unknown:
                self.error(where + ("exclude", i, unknown[0]), "KY201",
                           f'exclude names no axis "{unknown[0]}"{suggest(unknown[0], axes)}', key=True)
                continue
            before = len(combos)
            combos = [c for c in combos if any(c[k] != v for k, v in entry.items())]
            if len(combos) == before:
                self.error(where + ("exclude", i), "KY201", "this exclude entry matches no combination; remove it")
        for i, entry in enumerate(m.get("include", [])):
            if set(entry) != set(axes):
                self.error(where + ("include", i), "KY201",
                           f"an include entry sets every axis ({', '.join(axes)}) and nothing else")
                continue
            combo = {k: entry[k] for k in axes}
            if combo not in combos:
                combos.append(combo)
        if not combos:
            self.error(where, "KY201", "exclude removes every combination; the step would never run", key=True)
            return None
        fields = []
        for axis in axes:
            t = literal_type([c[axis] for c in combos])
            fields.append((axis, t.item if t.item is not None else ANY))
        return Loop(Literal(combos, where), "matrix", spec.get("max_parallel"), Type("dict"), tuple(fields))

    def uses(self, ref: str, path: Path) -> Component | None:
        if ref.startswith("components."):
            return self.local_component(ref[len("components."):], path)
        if ref.startswith(self.catalog.prefix):
            name = ref[len(self.catalog.prefix):]
            component = self.catalog.get(name)
            if component is None:
                names = self.catalog.names()
                hint = suggest(name, names) or (f"; the library has: {', '.join(names)}" if names
                                                else "; the standard library has no steps in this version")
                self.error(path, "KY301", f'no standard-library step "{name}"{hint}')
            return component
        if ref.startswith("./") or ref.startswith("../") or ref.endswith((".yaml", ".yml")):
            return self.component_file(ref, path)
        self.error(path, "KY302", f'`uses: {ref}` is not a step reference; use `stdlib/<name>`, '
                                  "`components.<name>` or a relative path such as `./component.yaml`")
        return None

    def local_component(self, name: str, path: Path) -> Component | None:
        specs = self.doc.data.get("components") or {}
        if name not in specs:
            hint = suggest(name, specs) or (f"; this file's components are: {', '.join(specs)}" if specs
                                            else "; define it under a top-level `components:`")
            self.error(path, "KY302", f'no component "{name}"{hint}')
            return None
        key = f"components.{name}"
        if key not in self.component_cache:
            spec = specs[name]
            where = ("components", name)
            if ("image" in spec) == ("python" in spec) and not ("image" in spec and "python" in spec):
                self.error(where, "KY201", f'component "{name}" needs `image:` (a container) or `python:` (a function)',
                           key=True)
                self.component_cache[key] = None
            elif "python" in spec:
                self.component_cache[key] = self.python(name, spec, where)
            else:
                self.component_cache[key] = self.container(name, spec, where)
        return self.component_cache[key]

    def component_file(self, ref: str, path: Path) -> Component | None:
        from .component_files import FileError, load_component

        real = self.relative(ref)
        if real not in self.component_cache:
            shown = os.path.normpath(os.path.join(os.path.dirname(self.doc.file), ref))
            if not os.path.isfile(real):
                what = "is a folder" if os.path.isdir(real) else "does not exist"
                self.error(path, "KY302", f"`uses: {ref}`: {shown} {what}; the path is relative to this file")
                self.component_cache[real] = None
                return None
            try:
                component, diags = load_component(real, shown, self.chain, self.compile_nested)
            except FileError as err:
                self.error(path, "KY312", f"{err}; a pipeline cannot use itself")
                component, diags = None, []
            self.diags.extend(diags)
            if component is None and not any(d.severity.value == "error" for d in diags) and not self.diags:
                self.error(path, "KY302", f"`uses: {ref}` could not be used")
            self.component_cache[real] = component
        return self.component_cache[real]

    def python(self, sid: str, spec: dict, path: Path) -> Component | None:
        from .python_step import DEFAULT_IMAGE, PythonStepError, analyse

        raw = spec["python"]
        where = path + ("python",)
        file = None
        if isinstance(raw, str):
            code, function = raw, None
        elif "file" in raw:
            file = self.relative(raw["file"])
            function = raw["function"]
            try:
                with open(file, encoding="utf-8") as fh:
                    code = fh.read()
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                self.error(where + ("file",), "KY311", f'cannot read "{raw["file"]}": {reason}')
                return None
        else:
            code, function = raw["code"], raw.get("function")
        try:
            fn = analyse(code, function, where)
        except PythonStepError as err:
            if file is not None and not err.line:  # about the file as a whole: point at `function:`
                self.error(where + ("function",), "KY311", err.message)
            elif file is not None:  # named as the user would: beside the pipeline file, as it was named
                shown = os.path.normpath(os.path.join(os.path.dirname(self.doc.file), raw["file"]))
                self.diags.append(make(shown, err.line, max(err.col, 1), "KY311", err.message))
            else:
                self.diags.append(self.code_diagnostic(where if isinstance(raw, str) else where + ("code",), err))
            return None
        image = spec.get("image", DEFAULT_IMAGE)
        if has_expression(image):
            image = self.template(image, path + ("image",)) or image
        return Component(sid, fn.inputs, fn.outputs, image, path=path, python=fn, packages=tuple(spec.get("packages", [])))

    def relative(self, name: str) -> str:
        """A path written in this pipeline file, from the file's own folder."""
        base = os.path.dirname(os.path.abspath(self.doc.source_path)) if self.doc.source_path else os.getcwd()
        return os.path.normpath(os.path.join(base, name))

    def code_diagnostic(self, path: Path, err) -> Diagnostic:
        """Line `err.line` of code held in a YAML block scalar, as a position in the YAML file."""
        line, col = self.doc.locate(path)
        if err.line and 1 <= line <= len(self.doc.lines) and self.doc.lines[line - 1].rstrip().endswith(("|", "|-", "|+", ">")):
            target = line + err.line
            if target <= len(self.doc.lines):
                text = self.doc.lines[target - 1]
                indent = len(text) - len(text.lstrip())
                return make(self.doc.file, target, indent + max(err.col, 1), "KY311", err.message)
        return make(self.doc.file, line, col, "KY311", err.message)

    def ports(self, specs: dict, path: Path, is_input: bool) -> dict[str, Port]:
        ports = {}
        for name, spec in (specs or {}).items():
            spec = {"type": spec} if isinstance(spec, str) else spec
            t = Type(spec["type"])
            if spec.get("list"):
                if not t.is_artifact or not is_input:
                    self.error(path + (name, "list"), "KY201",
                               "`list: true` is for artifact inputs that gather a loop's artifacts", key=True)
                else:
                    t = Type("list", t)
            has_default = "default" in spec
            if has_default and (t.is_artifact or not is_input):
                self.error(path + (name, "default"), "KY308", "only value inputs can have a default", key=True)
                has_default = False
            elif has_default and not value_ok(spec["default"], t):
                self.error(path + (name, "default"), "KY308",
                           f'the default of input "{name}" must be {_a(t)}, not {show(spec["default"])}')
            ports[name] = Port(name, t, path + (name,), spec.get("default"), has_default, spec.get("description"))
        return ports

    def container(self, sid: str, spec: dict, path: Path) -> Component | None:
        inputs = self.ports(spec.get("inputs"), path + ("inputs",), True)
        outputs = self.ports(spec.get("outputs"), path + ("outputs",), False)
        for name in set(inputs) & set(outputs):
            self.error(path + ("outputs", name), "KY201",
                       f'"{name}" is both an input and an output; give them different names', key=True)
        lines = {}
        for key in ("command", "args"):
            values = []
            for i, raw in enumerate(spec.get(key) or []):
                raw = raw if isinstance(raw, str) else _scalar_text(raw)
                values.append(self.value(raw, path + (key, i)))
            lines[key] = tuple(v for v in values if v is not None)
        used = self.placeholders(lines["command"] + lines["args"], inputs, outputs)
        for ports, kind in ((inputs, "input"), (outputs, "output")):
            for name, port in ports.items():
                if (kind, name) not in used:
                    what = "receives its value or path" if kind == "input" else "receives the path to write it"
                    self.error(port.path, "KY306", f'{kind} "{name}" is declared but the command never {what}; '
                                                   f'add "${{{{ {kind}s.{name} }}}}" to `command:` or `args:`', key=True)
        image = spec["image"]
        if has_expression(image):
            image = self.template(image, path + ("image",)) or image
        return Component(sid, inputs, outputs, image, lines["command"], lines["args"], path)

    # `components.<name>` entries are inline containers or python functions, checked like steps.

    def placeholders(self, values, inputs, outputs) -> set[tuple[str, str]]:
        used = set()
        for value in values:
            if not isinstance(value, Template):
                continue
            for offset, expr in zip(value.offsets, value.exprs):
                ok = isinstance(expr, Ref) and expr.root in ("inputs", "outputs") and 1 <= len(expr.parts) <= 2
                if not ok:
                    self.diags.append(template_diagnostic(self.doc, value.path, ExprError(
                        "KY305", "a command or arg may only use ${{ inputs.<name> }} and ${{ outputs.<name> }}; "
                                 "pass params and step outputs in through `with:` and an input", offset)))
                    continue
                kind, name = expr.root[:-1], expr.parts[0]
                ports = inputs if kind == "input" else outputs
                if name not in ports:
                    hint = suggest(name, ports) or (f"; declare it under `{expr.root}:`")
                    self.diags.append(template_diagnostic(self.doc, value.path, ExprError(
                        "KY305", f'the step has no {kind} "{name}"{hint}', offset)))
                    continue
                port_type = ports[name].type
                if len(expr.parts) == 2 and (expr.parts[1] not in ("path", "uri") or not port_type.is_artifact):
                    self.diags.append(template_diagnostic(self.doc, value.path, ExprError(
                        "KY305", f"`{expr.text}`: only an artifact has `.path` and `.uri`; write `{expr.root}.{name}`"
                        if not port_type.is_artifact else f"`{expr.text}`: an artifact offers `.path` and `.uri`", offset)))
                    continue
                if kind == "input" and port_type.name == "list" and port_type.is_artifact:
                    self.diags.append(template_diagnostic(self.doc, value.path, ExprError(
                        "KY507", f'input "{name}" is a list of artifacts and has no single path', offset)))
                used.add((kind, name))
        return used

    # ---- settings ----------------------------------------------------------

    def settings(self, step: Step, s: dict, path: Path):
        cache = s.get("cache", True)
        step.cache = cache is not False
        step.cache_key = cache.get("key") if isinstance(cache, dict) else None
        if "retry" in s:
            r = s["retry"]
            backoff = self.duration(r.get("backoff", 0), _setting_path(step, s, "retry", path) + ("backoff",))
            max_backoff = self.duration(r.get("max_backoff", 3600), _setting_path(step, s, "retry", path) + ("max_backoff",))
            step.retry = Retry(r.get("max", 0), backoff, float(r.get("factor", 2.0)), max_backoff)
        if "resources" in s:
            step.resources = self.resources(s["resources"], _setting_path(step, s, "resources", path))
        step.env = {}
        for name, value in (s.get("env") or {}).items():
            if isinstance(value, str) and has_expression(value):
                self.error(_setting_path(step, s, "env", path) + (name,), "KY508",
                           f'env "{name}" is an expression; KFP sets environment variables from literals only: '
                           "pass the value through `with:` and an input instead")
            step.env[name] = _scalar_text(value)
        if "timeout" in s:
            seconds = self.duration(s["timeout"], _setting_path(step, s, "timeout", path))
            step.timeout_s = max(1, math.ceil(seconds))
        if "kubernetes" in s:
            step.kubernetes = self.kubernetes(s["kubernetes"], _setting_path(step, s, "kubernetes", path))

    def kubernetes(self, k: dict, path: Path) -> Kubernetes:
        def name(raw: str, where: Path):
            value = self.value(raw, where)
            if isinstance(value, Template) and value.whole is None:
                self.error(where, "KY501", "a name is either literal text or one expression, not a mix")
            return value

        def sources(key: str) -> tuple[Source, ...]:
            out = []
            for i, entry in enumerate(k.get(key, [])):
                where = path + (key, i)
                if "env" not in entry and "mount" not in entry:
                    self.error(where, "KY201", f"`{key}` entry \"{entry['name']}\" needs `env:`, `mount:` or both", key=False)
                out.append(Source(name(entry["name"], where + ("name",)), tuple((entry.get("env") or {}).items()),
                                  entry.get("mount"), bool(entry.get("optional", False))))
            return tuple(out)

        shm = k.get("shm_size")
        if shm is not None and not _MEMORY.match(str(shm)):
            self.error(path + ("shm_size",), "KY309", f'shm_size "{shm}" is not a memory amount; write a whole number '
                                                      "with an optional unit: 512Mi, 2Gi")
        return Kubernetes(
            node_selector=tuple((k.get("node_selector") or {}).items()),
            tolerations=tuple(k.get("tolerations", [])),
            secrets=sources("secrets"),
            config_maps=sources("config_maps"),
            volumes=tuple((name(v["claim"], path + ("volumes", i, "claim")), v["mount"])
                          for i, v in enumerate(k.get("volumes", []))),
            shm_size=shm,
            image_pull_policy=k.get("image_pull_policy"),
            image_pull_secrets=tuple(k.get("image_pull_secrets", [])),
        )

    def duration(self, raw, path: Path) -> float:
        seconds = duration_seconds(raw)
        if seconds is None:
            self.error(path, "KY310", f"{show(raw)} is not a duration; write seconds (`90`) or `30s`, `5m`, `2h`, `1d`")
            return 0
        return seconds

    def resources(self, r: dict, path: Path) -> Resources:
        out: dict = {}
        for key, raw in r.items():  # `${{ params.x }}` values are checked by the types pass
            if isinstance(raw, str) and has_expression(raw):
                template = self.template(raw, path + (key,))
                if template is not None:
                    out[key] = template
        literal = {k: v for k, v in r.items() if k not in out and not (isinstance(v, str) and has_expression(v))}
        for key in ("cpu", "cpu_request"):
            if key in literal:
                text = _scalar_text(literal[key])
                if not _CPU.match(text) or float(text.rstrip("m")) <= 0:
                    self.error(path + (key,), "KY309",
                               f'{key} "{text}" is not a CPU amount; write cores (`2`, `0.5`) or millicores (`500m`)')
                out[key] = text
        for key in ("memory", "memory_request"):
            if key in literal:
                text = _scalar_text(literal[key])
                if not _MEMORY.match(text):
                    self.error(path + (key,), "KY309", f'{key} "{text}" is not a memory amount; write a whole number '
                                                      "with an optional unit: 512Mi, 8Gi, 2G")
                out[key] = text
        for key in ("gpu", "gpu_type"):
            if key in literal:
                out[key] = literal[key]
        if "gpu_type" in out and not out.get("gpu"):
            self.error(path + ("gpu_type",), "KY309", "gpu_type is set but gpu is not; set `gpu:` to the number of GPUs",
                       key=True)
        for limit, request, parse in (("cpu", "cpu_request", _cpu), ("memory", "memory_request", memory_gb)):
            a, b = out.get(limit), out.get(request)
            valid = _CPU if limit == "cpu" else _MEMORY
            if isinstance(a, str) and isinstance(b, str) and valid.match(a) and valid.match(b) and parse(b) > parse(a):
                self.error(path + (request,), "KY309", f"{request} {b} is more than the {limit} limit {a}")
        return Resources(**out)


def _inherit(inherited: dict, spec: dict) -> dict:
    """Settings for a step: its own over its group's over `defaults:`.

    `resources`, `env` and `kubernetes` merge key by key; the others replace as a whole.
    Each merged value remembers where it was written, for error locations.
    """
    out = dict(inherited)
    for key in _INHERITED:
        if key in spec:
            if key in _MERGED and isinstance(inherited.get(key), dict):
                out[key] = {**inherited[key], **spec[key]}
            else:
                out[key] = spec[key]
    return out


def _setting_path(step: Step, settings: dict, key: str, path: Path) -> Path:
    """Where an inherited setting was written: the step, a group, or `defaults:`."""
    for node in [step] + step.ancestors():
        if key in node.written:
            return node.path + (key,)
    return ("defaults", key)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value)


def _dict_fields(items: list) -> tuple[tuple[str, Type], ...]:
    """Field types of a literal list of dicts that all have the same keys."""
    if not items or not all(isinstance(i, dict) for i in items) or len({tuple(sorted(i)) for i in items}) != 1:
        return ()
    out = []
    for key in items[0]:
        t = literal_type([i[key] for i in items])
        out.append((key, t.item if t.item is not None else ANY))
    return tuple(out)


def _item_type(items: list) -> Type:
    t = literal_type(items)
    return t.item if t.item is not None else ANY


def _cpu(text: str) -> float:
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


_MEM_UNITS = {"E": 10**18, "Ei": 2**60, "P": 10**15, "Pi": 2**50, "T": 10**12, "Ti": 2**40, "G": 10**9,
              "Gi": 2**30, "M": 10**6, "Mi": 2**20, "K": 10**3, "Ki": 2**10, "": 1}


def memory_gb(text: str) -> float:
    """KFP's memory number: the amount in units of 10^9 bytes."""
    match = _MEMORY.match(text)
    number, unit = text[: match.start(1)] if match.group(1) else text, match.group(1) or ""
    return float(number) * _MEM_UNITS[unit] / 10**9


def show(value: Any) -> str:
    """A value as the user would write it in YAML/JSON: true, "ten", 1.5."""
    import json

    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def _a(t: Type) -> str:
    return f"an {t}" if str(t)[0] in "aeiou" else f"a {t}"


def resolve(doc: Document, catalog: Catalog, chain: tuple[str, ...] = (),
            compile_nested=None) -> tuple[Pipeline, list[Diagnostic]]:
    resolver = Resolver(doc, catalog, chain, compile_nested)
    pipeline = resolver.resolve()
    return pipeline, resolver.diags


__all__ = ["resolve", "sanitize_name", "value_ok", "literal_type", "memory_gb", "show"]
