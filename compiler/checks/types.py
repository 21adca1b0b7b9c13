"""Types: every input, condition, loop and comparison, checked at compile time.

KFP only notices most of these at run time, on the cluster. Here passing a
`model` where a `dataset` is expected, comparing a string output with a
number, or `if:` on a float is an error with the expression's location.
"""

from __future__ import annotations

import dataclasses

from ..codes import ARTIFACT_IN_TEXT, MISSING_INPUT, TYPE_MISMATCH, UNKNOWN_INPUT, UNKNOWN_NAME, UNSUPPORTED_EXPRESSION
from ..diagnostics import Diagnostic, make, suggest
from ..expressions import ExprError, template_diagnostic
from ..load import Document
from ..model import (
    BOOL,
    BoolOp,
    Compare,
    Const,
    Expr,
    Gathered,
    ListLit,
    Literal,
    Not,
    Pipeline,
    Ref,
    Step,
    Template,
    Type,
    gathers,
)
from ..values import a as _a
from ..values import literal_type, show, value_ok
from .references import References

_NUMERIC = {"int", "float"}


def assignable(source: Type, target: Type) -> bool:
    """Whether a value of type `source` may be passed where `target` is declared."""
    if source.name == "any" or target.name == "any":
        return not (source.is_artifact or target.is_artifact) or source.name == target.name == "any"
    if source.name == "status":
        return target.name in ("dict", "string")
    if source.is_artifact != target.is_artifact:
        return False
    if source.name == "list" and target.name == "list":
        if source.item is None or target.item is None:
            return not target.is_artifact
        return assignable(source.item, target.item)
    if source.is_artifact:  # the generic `artifact` fits any artifact type either way, as KFP's type check has it
        return "artifact" in (source.name, target.name) or source.name == target.name
    if source.name == "int" and target.name == "float":
        return True
    return source.name == target.name


@dataclasses.dataclass
class _Ctx:
    template: Template
    offset: int


class _Checker:
    def __init__(self, doc: Document, pipeline: Pipeline, refs: References):
        self.doc = doc
        self.pipeline = pipeline
        self.refs = refs
        self.diags: list[Diagnostic] = []

    def error(self, ctx: _Ctx, code: str, message: str):
        self.diags.append(template_diagnostic(self.doc, ctx.template.path, ExprError(code, message, ctx.offset)))

    def at(self, path, code: str, message: str):
        line, col = self.doc.locate(path)
        self.diags.append(make(self.doc.file, line, col, code, message))

    # ---- expression types --------------------------------------------------

    def type_of(self, expr: Expr, ctx: _Ctx) -> Type | None:
        """The expression's type, or None when an error was already reported."""
        if isinstance(expr, Const):
            if expr.value is None:
                self.error(ctx, UNSUPPORTED_EXPRESSION, "`none` has no type here; compare with a value")
                return None
            return literal_type(expr.value)
        if isinstance(expr, ListLit):
            items = [self.type_of(i, ctx) for i in expr.items]
            if any(t is None for t in items):
                return None
            kinds = set(items)
            return Type("list", kinds.pop() if len(kinds) == 1 else None)
        if isinstance(expr, Ref):
            info = self.refs.info(expr)
            return info.type if info is not None else None
        if isinstance(expr, Not):
            self.condition_operand(expr.operand, ctx, "not")
            return BOOL
        if isinstance(expr, BoolOp):
            for item in expr.items:
                self.condition_operand(item, ctx, expr.op)
            return BOOL
        if isinstance(expr, Compare):
            self.compare(expr, ctx)
            return BOOL
        raise AssertionError(expr)

    def condition_operand(self, expr: Expr, ctx: _Ctx, op: str):
        t = self.type_of(expr, ctx)
        if t is None or t.name in ("bool", "any"):
            return
        self.error(ctx, TYPE_MISMATCH if not t.is_artifact else ARTIFACT_IN_TEXT,
                   f"`{op}` needs true/false values, but `{_text(expr)}` is {_a(t)}; compare it, e.g. `{_text(expr)} > 0`"
                   if not t.is_artifact else f"`{_text(expr)}` is an artifact and cannot be tested in a condition")

    def compare(self, expr: Compare, ctx: _Ctx):
        left, right = self.type_of(expr.left, ctx), self.type_of(expr.right, ctx)
        if left is None or right is None:
            return
        for side, t in ((expr.left, left), (expr.right, right)):
            if t.is_artifact:
                self.error(ctx, ARTIFACT_IN_TEXT, f"`{_text(side)}` is an artifact; conditions compare values only")
                return
        if expr.op == "in":
            if right.name not in ("list", "string", "any", "dict"):
                self.error(ctx, TYPE_MISMATCH, f"`in` needs a list or a string on its right, but `{_text(expr.right)}` is {_a(right)}")
            elif right.name == "string" and left.name not in ("string", "any"):
                self.error(ctx, TYPE_MISMATCH, f"`in` a string needs a string on its left, not {_a(left)}")
            elif right.name == "list" and right.item is not None and not _comparable(left, right.item):
                self.error(ctx, TYPE_MISMATCH, f"`{_text(expr.left)}` is {_a(left)} but the list holds {right.item} values")
            return
        if not _comparable(left, right):
            self.error(ctx, TYPE_MISMATCH, f"cannot compare {_a(left)} (`{_text(expr.left)}`) with {_a(right)} (`{_text(expr.right)}`)")
            return
        if expr.op in ("<", "<=", ">", ">=") and left.name not in _NUMERIC | {"string", "any"}:
            self.error(ctx, TYPE_MISMATCH, f"`{expr.op}` orders numbers and strings, not {left} values")

    # ---- places where values are used --------------------------------------

    def run(self):
        for step in self.pipeline.all_steps():
            if step.loop is not None:
                self.loop(step)
            if step.condition is not None:
                ctx = _Ctx(step.condition, step.condition.offsets[0])
                t = self.type_of(step.condition.whole, ctx)
                if t is not None and t.name not in ("bool", "any"):
                    self.error(ctx, TYPE_MISMATCH if not t.is_artifact else ARTIFACT_IN_TEXT,
                               f"`if:` needs a true/false value, but `{_text(step.condition.whole)}` is {_a(t)}; "
                               "compare it, e.g. `> 0.9` or `== 'yes'`")
            if step.component is not None:
                self.inputs(step)
            for value in step.kubernetes.names():
                self.param_value(value, ("string",), "a Kubernetes name")
            for value in step.kubernetes.json_values():
                self.param_value(value, ("dict",), "a node selector, node affinity or toleration as one expression")
            for field in ("cpu", "memory", "cpu_request", "memory_request", "gpu_type", "gpu"):
                value = getattr(step.resources, field)
                allowed = ("int", "string") if field == "gpu" else ("string",)
                self.param_value(value, allowed, f"`{field}`")
            if step.component is not None:
                self.param_value(step.component.image, ("string",), "`image`", outputs=False)
            if step.kind == "branches":
                self.branch_outputs(step)
        for name, template in self.pipeline.outputs.items():
            expr = template.whole
            if not (isinstance(expr, Ref) and expr.root == "steps"):
                self.error(_Ctx(template, template.offsets[0]), UNKNOWN_NAME,
                           f'pipeline output "{name}" must name a step output: ${{{{ steps.<id>.outputs.<name> }}}}')
        return self.diags

    def branch_outputs(self, route: Step):
        for name, templates in route.branch_outputs.items():
            first: tuple[int, Type] | None = None
            for i, template in enumerate(templates):
                if template is None:
                    continue
                ctx = _Ctx(template, template.offsets[0])
                if not (isinstance(template.whole, Ref) and template.whole.root == "steps"):
                    self.error(ctx, UNKNOWN_NAME, f'branch output "{name}" must name a step output: ${{{{ steps.<id>.outputs.<name> }}}}')
                    continue
                info = self.refs.info(template.whole)
                if info is None:
                    continue
                if first is None:
                    first = (i, info.type)
                elif info.type != first[1]:
                    self.error(ctx, TYPE_MISMATCH, f'branch output "{name}" is {_a(info.type)} in branch {i + 1} but '
                                             f"{_a(first[1])} in branch {first[0] + 1}; every branch must give the same type")

    def param_value(self, value, allowed: tuple[str, ...], what: str, outputs: bool = True):
        """Resources, image and Kubernetes names from `${{ }}`: KFP resolves pipeline params there, and
        (not for the image) step outputs, as task inputs the backend reads when the task starts."""
        if not isinstance(value, Template) or value.whole is None:
            return
        ctx = _Ctx(value, value.offsets[0])
        wanted = " or ".join(allowed)
        sources = "param or step output" if outputs else "param"
        info = self.refs.info(value.whole) if isinstance(value.whole, Ref) else None
        if info is None:
            if not isinstance(value.whole, Ref):
                self.error(ctx, TYPE_MISMATCH, f"{what} takes a literal or a {wanted} {sources}")
            return
        kinds = ("param", "output") if outputs else ("param",)
        if info.kind not in kinds or info.type.name not in allowed:
            kind = {"param": "param", "output": "step output"}.get(info.kind, "value")
            self.error(ctx, TYPE_MISMATCH, f"{what} takes a literal or a {wanted} {sources}, not {_a(info.type)} "
                                           f"{kind} (`{value.whole.text}`)")

    # ---- lists and mappings built when the task starts ---------------------

    def gathered(self, name: str, target: Type, value: Gathered | Template):
        """A list or mapping holding values (KFP fills each in as text when the task starts)."""
        shape = "dict" if isinstance(value, Gathered) and isinstance(value.value, dict) else "list"
        path = value.path
        if target.is_artifact:
            self.at(path, TYPE_MISMATCH, f'input "{name}" is {_a(target)} artifact, but this is {_a(shape)} of values; '
                                         "a list of artifacts comes from a loop: read the output after the loop (fan-in)")
            return
        if target.name not in (shape, "any"):
            self.at(path, TYPE_MISMATCH, f'input "{name}" is {_a(target)}, but this is {_a(shape)}')
            return
        item = target.item if shape == "list" and target.item is not None and target.item.name not in ("string", "any") \
            else None
        templates = value.templates() if isinstance(value, Gathered) else [value]
        for template in templates:
            if template.whole is not None:
                self.spliced(template.whole, _Ctx(template, template.offsets[0]), name, item)
                continue
            for offset, expr in zip(template.offsets, template.exprs, strict=False):
                self.spliced(expr, _Ctx(template, offset), name, None)

    def spliced(self, expr: Expr, ctx: _Ctx, name: str, item: Type | None):
        """One value placed inside a list or mapping: KFP writes its text into the constant's JSON."""
        if isinstance(expr, Const):
            return
        if isinstance(expr, ListLit):
            for sub in expr.items:
                self.spliced(sub, ctx, name, None)
            return
        if not isinstance(expr, Ref):
            self.error(ctx, UNSUPPORTED_EXPRESSION, f"`{_text(expr)}` is a condition; a list or mapping holds values "
                                                    "(names and literals), and KFP cannot evaluate a condition there")
            return
        t = self.type_of(expr, ctx)
        if t is None:
            return
        if t.is_artifact or t.name == "status":
            self.error(ctx, ARTIFACT_IN_TEXT, f"`{expr.text}` is {_a(t)}{' artifact' if t.is_artifact else ''}; a list "
                                              "or mapping holds values only (a list of artifacts comes from a loop: "
                                              "read the output after the loop)")
        elif t.name in ("list", "dict"):
            self.error(ctx, TYPE_MISMATCH, f"`{expr.text}` is {_a(t)}: KFP places each value inside a list or mapping "
                                           "as its text, and the text of a list or mapping would break it; pass it as "
                                           "an input of its own")
        elif item is not None:
            self.error(ctx, TYPE_MISMATCH, f'input "{name}" is {_a(Type("list", item))}, but KFP places each value '
                                           f"inside a list as its text: `{expr.text}` ({_a(t)}) reaches the step as a "
                                           "string; declare the input a plain `list` and convert its items in the step")

    def loop(self, step: Step):
        items = step.loop.items
        if isinstance(items, Literal):
            return
        ctx = _Ctx(items, items.offsets[0])
        if gathers(items):
            self.error(ctx, UNSUPPORTED_EXPRESSION, "`for_each:` loops over a literal list or one value that holds a "
                                                    "list; KFP cannot loop over a list built from several values. "
                                                    "Give a step a list input with these values and loop over its "
                                                    "output, or loop over a param")
            return
        t = self.type_of(items.whole, ctx)
        if t is None:
            return
        # A step's text output may hold a JSON list, which KFP's backend parses into the items; a param
        # meant to be a list is declared `list`, so a string param stays an error.
        info = self.refs.info(items.whole) if isinstance(items.whole, Ref) else None
        text_output = t.name == "string" and info is not None and info.kind == "output"
        if (t.name not in ("list", "any") and not text_output) or (t.is_artifact and t.name != "list"):
            self.error(ctx, TYPE_MISMATCH, f"`for_each:` needs a list, but `{_text(items.whole)}` is {_a(t)}"
                                           + ("; declare the param `type: list`" if t.name == "string" else ""))
            return

    def inputs(self, step: Step):
        component = step.component
        for name, value in step.args.items():
            port = component.inputs.get(name)
            if port is None:
                hint = suggest(name, component.inputs) or (
                    f"; its inputs are: {', '.join(component.inputs)}" if component.inputs else "; it has no inputs")
                line, col = self.doc.locate(step.path + ("with", name), key=True)
                self.diags.append(make(self.doc.file, line, col, UNKNOWN_INPUT, f'step "{step.id}" has no input "{name}"{hint}'))
                continue
            if isinstance(value, Literal):
                if port.type.is_artifact:
                    self.at(value.path, TYPE_MISMATCH, f'input "{name}" is {_a(port.type)} artifact: pass a step output '
                                                 f"(${{{{ steps.<id>.outputs.<name> }}}}), not a literal")
                elif not value_ok(value.value, port.type):
                    self.at(value.path, TYPE_MISMATCH, f'input "{name}" is {_a(port.type)}, but {show(value.value)} is {_a(literal_type(value.value))}')
                continue
            if gathers(value):
                self.gathered(name, port.type, value)
                continue
            whole = value.whole
            if whole is not None:
                t = self.type_of(whole, _Ctx(value, value.offsets[0]))
                if t is not None and not assignable(t, port.type):
                    self.error(_Ctx(value, value.offsets[0]), TYPE_MISMATCH,
                               f'input "{name}" is {_a(port.type)}, but `{_text(whole)}` is {_a(t)}')
                continue
            if port.type.name not in ("string", "any"):
                self.at(value.path, TYPE_MISMATCH, f'input "{name}" is {_a(port.type)}, but text around ${{{{ }}}} makes a string')
            for offset, expr in zip(value.offsets, value.exprs, strict=False):
                t = self.type_of(expr, _Ctx(value, offset))
                if t is not None and (t.is_artifact or t.name == "status"):
                    self.error(_Ctx(value, offset), ARTIFACT_IN_TEXT,
                               f"`{_text(expr)}` is {_a(t)} and cannot be part of a string")
        for name, port in component.inputs.items():
            if name not in step.args and name not in step.unparsed_args and not port.has_default:
                line, col = self.doc.locate(step.path, key=True)
                self.diags.append(make(self.doc.file, line, col, MISSING_INPUT,
                                       f'step "{step.id}" does not set its required input "{name}" ({port.type}); '
                                       f"add it under `with:`"))


def _comparable(a: Type, b: Type) -> bool:
    if "any" in (a.name, b.name):
        return True
    if a.name in _NUMERIC and b.name in _NUMERIC:
        return True
    return a.name == b.name and a.name in ("string", "bool", "list", "dict")


def _text(expr: Expr) -> str:
    if isinstance(expr, Ref):
        return expr.text
    if isinstance(expr, Const):
        return repr(expr.value) if isinstance(expr.value, str) else str(expr.value).lower() if isinstance(expr.value, bool) else str(expr.value)
    if isinstance(expr, ListLit):
        return "[" + ", ".join(_text(i) for i in expr.items) + "]"
    if isinstance(expr, Not):
        return f"not {_text(expr.operand)}"
    if isinstance(expr, BoolOp):
        return f" {expr.op} ".join(_text(i) for i in expr.items)
    if isinstance(expr, Compare):
        return f"{_text(expr.left)} {expr.op} {_text(expr.right)}"
    return "?"


def check(doc: Document, pipeline: Pipeline, refs: References) -> list[Diagnostic]:
    return _Checker(doc, pipeline, refs).run()
