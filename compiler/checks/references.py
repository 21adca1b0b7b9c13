"""Names in expressions: what each `${{ }}` reference points at, and whether it may.

Every `Ref` is resolved once, here, to a `RefInfo` (a param, a step output,
a loop item or the pipeline status) with its type as seen from where it is
used: an output read from outside the loop that produced it is the list of
all iterations (fan-in). The graph, types and lowering passes read these
results instead of resolving names again.

Scoping rules checked here: outputs of steps that `if:` may skip are not
readable outside that condition (KY406), loop variables live in their loop
(KY407), `finally:` steps see neither main-step outputs (KY408) nor is
`pipeline.status` visible outside them (KY409).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from kfyaml.ir.placeholders import RUNTIME

from ..codes import (
    CONDITIONAL_OUTPUT,
    FINALLY_READS_STEP,
    LOOP_SCOPE,
    SELF_DEPENDENCY,
    STATUS_OUTSIDE_FINALLY,
    TYPE_MISMATCH,
    UNKNOWN_NAME,
    UNKNOWN_OUTPUT,
    UNKNOWN_PARAM,
    UNKNOWN_STEP,
)
from ..diagnostics import Diagnostic, suggest
from ..expressions import ExprError, template_diagnostic
from ..load import Document, Path
from ..model import (
    ANY,
    BOOL,
    STATUS,
    STRING,
    BoolOp,
    Compare,
    Const,
    Expr,
    ListLit,
    Not,
    Param,
    Pipeline,
    Port,
    Ref,
    Step,
    Template,
    Type,
    templates_in,
)
from ..values import element_type, literal_type


@dataclasses.dataclass(frozen=True)
class RefInfo:
    kind: str  # param | output | loop | status | runtime
    type: Type
    param: Param | None = None
    producer: Step | None = None
    output: Port | None = None
    loop_step: Step | None = None
    field: str | None = None
    placeholder: str | None = None  # runtime: KFP's placeholder for the value (`{{$.pipeline_job_name}}`)


@dataclasses.dataclass(frozen=True)
class Use:
    """One expression in the file: where it is, whose scope it is read in."""

    template: Template
    expr: Expr
    offset: int
    step: Step | None        # the step whose scope reads it; None for pipeline outputs
    inside: bool             # read inside the step's own loop and condition


@dataclasses.dataclass
class References:
    infos: dict[int, RefInfo]
    edges: list[tuple[Step, Step, Path]]  # producer, consumer, where the consumer reads it
    used_params: set[str]
    diagnostics: list[Diagnostic]
    loop_items: dict[Step, Type] = dataclasses.field(default_factory=dict)  # item types of loops over expressions
    names_complete: bool = True  # every params./loop-variable name resolved: `used_params` is the whole truth

    def info(self, ref: Ref) -> RefInfo | None:
        return self.infos.get(id(ref))

    def item_type(self, step: Step) -> Type:
        """The type of one item of `step`'s loop."""
        if step.loop.item_type is not None:
            return step.loop.item_type
        return self.loop_items.get(step, ANY)

    def type_of(self, expr: Expr) -> Type:
        """An expression's type from resolved names; comparisons and logic are bool."""
        if isinstance(expr, Ref):
            info = self.info(expr)
            return info.type if info is not None else ANY
        if isinstance(expr, Const):
            return literal_type(expr.value)
        if isinstance(expr, ListLit):
            kinds = {self.type_of(i) for i in expr.items}
            return Type("list", kinds.pop() if len(kinds) == 1 else None)
        return BOOL


def refs_in(expr: Expr) -> Iterator[Ref]:
    if isinstance(expr, Ref):
        yield expr
    elif isinstance(expr, Compare):
        yield from refs_in(expr.left)
        yield from refs_in(expr.right)
    elif isinstance(expr, BoolOp):
        for item in expr.items:
            yield from refs_in(item)
    elif isinstance(expr, Not):
        yield from refs_in(expr.operand)
    elif isinstance(expr, ListLit):
        for item in expr.items:
            yield from refs_in(item)


def uses_of(pipeline: Pipeline) -> Iterator[Use]:
    """Every expression outside command/args, with the scope it is read in."""
    for step in pipeline.all_steps():
        if step.loop is not None and isinstance(step.loop.items, Template):
            yield from _uses(step.loop.items, step, inside=False)
        if step.condition is not None:
            # A branch's condition is decided beside the branch, not inside it.
            is_branch = step.parent is not None and step.parent.kind == "branches"
            yield from _uses(step.condition, step, inside=not is_branch)
        for templates in (step.branch_outputs.values() if step.kind == "group" else ()):
            for template in templates:
                yield from _uses(template, step, inside=True)
        image = [step.component.image] if step.component is not None else []
        settings = step.kubernetes.names() + step.kubernetes.json_values() + step.resources.templates()
        for value in list(step.args.values()) + settings + image:
            for template in templates_in(value):
                yield from _uses(template, step, inside=True)
    for template in pipeline.outputs.values():
        yield from _uses(template, None, inside=False)


def _uses(template: Template, step: Step | None, inside: bool) -> Iterator[Use]:
    for offset, expr in zip(template.offsets, template.exprs, strict=False):
        yield Use(template, expr, offset, step, inside)


def scope_chain(step: Step | None, inside: bool) -> list[Step]:
    """The steps whose loop and condition enclose a use, innermost first."""
    if step is None:
        return []
    return ([step] if inside else []) + step.ancestors()


class _Resolver:
    def __init__(self, doc: Document, pipeline: Pipeline):
        self.doc = doc
        self.pipeline = pipeline
        self.steps = {s.id: s for s in pipeline.all_steps()}
        self.loop_vars = {s.loop.var for s in self.steps.values() if s.loop is not None}
        self.result = References({}, [], set(), [])
        self.done: set[int] = set()

    def error(self, use: Use, code: str, message: str):
        self.result.diagnostics.append(template_diagnostic(self.doc, use.template.path, ExprError(code, message, use.offset)))

    def run(self) -> References:
        for use in uses_of(self.pipeline):
            self.resolve_use(use)
        for step in self.steps.values():
            if step.loop is not None:
                self.loop_item_type(step)
        return self.result

    def resolve_use(self, use: Use):
        for ref in refs_in(use.expr):
            if id(ref) in self.done:
                continue
            self.done.add(id(ref))
            info = self.resolve(ref, use)
            if info is not None:
                self.result.infos[id(ref)] = info
            elif ref.root not in ("steps", "pipeline", "matrix"):
                self.result.names_complete = False

    def loop_item_type(self, step: Step) -> Type:
        """The item type of `step`'s loop, resolving the list expression it loops over first."""
        if step.loop.item_type is not None:
            return step.loop.item_type
        if step not in self.result.loop_items:
            items = step.loop.items
            self.resolve_use(Use(items, items.whole, items.offsets[0], step, inside=False))
            t = self.result.type_of(items.whole)  # a list of artifacts gives one artifact per item
            self.result.loop_items[step] = element_type(t) if t.name in ("list", "any") else ANY
        return self.result.loop_items[step]

    def branch_output(self, route: Step, name: str, ref: Ref, use: Use) -> RefInfo | None:
        """`steps.<branches>.outputs.<name>`: the value of whichever branch ran (KFP OneOf)."""
        if name not in route.branch_outputs:
            outs = route.branch_outputs
            hint = suggest(name, outs) or (f"; its branch outputs are: {', '.join(outs)}" if outs
                                           else "; declare `outputs:` on each of its branches")
            self.error(use, UNKNOWN_OUTPUT, f'"{route.id}" has no branch output "{name}"{hint}')
            return None
        first_type = None
        for branch, template in zip(route.children, route.branch_outputs[name], strict=False):
            if template is None:
                return None
            self.resolve_use(Use(template, template.whole, template.offsets[0], branch, True))
            info = self.result.infos.get(id(template.whole))
            if info is None:
                return None
            first_type = first_type or info.type
        return RefInfo("output", first_type, producer=route, output=Port(name, first_type, route.path))

    def resolve(self, ref: Ref, use: Use) -> RefInfo | None:
        if ref.root == "params":
            return self.param(ref, use)
        if ref.root == "steps":
            return self.output(ref, use)
        if ref.root == "loop":
            return self.loop_item(ref, use)
        if ref.root == "task" or (ref.root == "pipeline" and ref.parts != ("status",)):
            return self.runtime_value(ref, use)
        if ref.root == "pipeline":
            if use.step is None or not use.step.in_finally:
                self.error(use, STATUS_OUTSIDE_FINALLY, "`pipeline.status` is only known to steps in `finally:`")
                return None
            return RefInfo("status", STATUS)
        if ref.root == "matrix":
            return self.matrix_value(ref, use)
        self.error(use, UNKNOWN_NAME, f"`{ref.text}` is only available in the `command:` and `args:` of an inline step")
        return None

    def runtime_value(self, ref: Ref, use: Use) -> RefInfo | None:
        """`pipeline.job_name`, `task.id`, ...: text the backend fills in when the task starts."""
        name = f"{ref.root}.{'.'.join(ref.parts)}"
        if name not in RUNTIME:
            names = [n for n in RUNTIME if n.startswith(ref.root + ".")] + (["pipeline.status"] if ref.root == "pipeline" else [])
            hint = suggest(name, names) or f"; {ref.root} offers: {', '.join(names)}"
            self.error(use, UNKNOWN_NAME, f"`{ref.text}` is not a name{hint}")
            return None
        if "with" not in use.template.path:
            self.error(use, UNKNOWN_NAME, f"`{ref.text}` is known only when the task starts: use it in `with:`, "
                                          "whole or inside text")
            return None
        if name == "pipeline.workspace_path" and not self.pipeline.config.workspace_size:
            self.error(use, UNKNOWN_NAME, "`pipeline.workspace_path` is the run's workspace, and this pipeline has "
                                          "none: add `pipeline_config: {workspace: {size: 10Gi}}`")
            return None
        return RefInfo("runtime", STRING, placeholder=RUNTIME[name])

    def param(self, ref: Ref, use: Use) -> RefInfo | None:
        if len(ref.parts) != 1:
            self.error(use, UNKNOWN_NAME, f"`{ref.text}`: write `params.<name>`")
            return None
        name = ref.parts[0]
        param = self.pipeline.params.get(name)
        if param is None:
            hint = suggest(name, self.pipeline.params) or (
                "; declare it under `params:`" if not self.pipeline.params else f"; params are: {', '.join(self.pipeline.params)}")
            self.error(use, UNKNOWN_PARAM, f'no param "{name}"{hint}')
            return None
        self.result.used_params.add(name)
        return RefInfo("param", param.type, param=param)

    def output(self, ref: Ref, use: Use) -> RefInfo | None:
        parts = ref.parts
        if not parts:
            self.error(use, UNKNOWN_NAME, "`steps` needs a step and an output: `steps.<id>.outputs.<name>`")
            return None
        producer = self.steps.get(parts[0])
        if producer is None:
            self.error(use, UNKNOWN_STEP, f'no step "{parts[0]}"{suggest(parts[0], self.steps)}')
            return None
        if len(parts) != 3 or parts[1] != "outputs":
            self.error(use, UNKNOWN_NAME, f"`{ref.text}`: write `steps.{parts[0]}.outputs.<name>`")
            return None
        if producer.kind == "group":
            self.error(use, UNKNOWN_OUTPUT, f'step "{producer.id}" is a group and has no outputs; read an output of a step inside it')
            return None
        if producer.kind == "branches":
            routed = self.branch_output(producer, parts[2], ref, use)
            if routed is None:
                return None
            port = routed.output
        elif producer.component is None:
            return None  # its `uses:` already failed to resolve
        else:
            port = producer.component.outputs.get(parts[2])
        if port is None:
            outs = producer.component.outputs
            hint = suggest(parts[2], outs) or (f"; its outputs are: {', '.join(outs)}" if outs else "; it has no outputs")
            self.error(use, UNKNOWN_OUTPUT, f'step "{producer.id}" has no output "{parts[2]}"{hint}')
            return None
        chain = scope_chain(use.step, use.inside)
        if use.step is not None and (producer is use.step or producer in use.step.ancestors()):
            self.error(use, SELF_DEPENDENCY, f'step "{use.step.id}" reads its own output; a step can only read steps before it')
            return None
        if use.step is not None and use.step.in_finally and not producer.in_finally:
            self.error(use, FINALLY_READS_STEP, f'a finally: step cannot read `{ref.text}`: when the pipeline fails, '
                                     f'"{producer.id}" may not have run; pass `${{{{ pipeline.status }}}}` instead')
            return None
        skipped_by = [s for s in [producer] + producer.ancestors() if s.skippable and s not in chain]
        if skipped_by:
            cond = skipped_by[-1]
            if cond.parent is not None and cond.parent.kind == "branches":
                route = cond.parent
                self.error(use, CONDITIONAL_OUTPUT, f'`{ref.text}` may not exist: step "{producer.id}" runs only in branch '
                                         f'{route.children.index(cond) + 1} of "{route.id}"; declare a branch output '
                                         f'(`outputs:` on every branch) and read `steps.{route.id}.outputs.<name>`')
                return None
            where = "its" if cond is producer else f'its group "{cond.id}"\'s'
            self.error(use, CONDITIONAL_OUTPUT, f'`{ref.text}` may not exist: step "{producer.id}" is skipped when {where} '
                                     f"`if:` is false; read it inside the same `if:` (put both in a group), "
                                     "or use `branches:` with an `else:` and a branch output")
            return None
        loops = [s for s in [producer] + producer.ancestors() if s.loop is not None and s not in chain]
        if len(loops) > 1 and port.type.is_artifact:
            self.error(use, TYPE_MISMATCH, f"`{ref.text}` is gathered from {len(loops)} nested loops, and KFP passes "
                                           "one level of artifact lists; gather it inside the outer loop first")
            return None
        t = port.type
        for _ in loops:  # one list level per loop left: a list of lists from nested loops
            t = Type("list", t)
        if use.step is not None:
            self.result.edges.append((producer, use.step, use.template.path))
        return RefInfo("output", t, producer=producer, output=port)

    def matrix_value(self, ref: Ref, use: Use) -> RefInfo | None:
        for step in scope_chain(use.step, use.inside):
            if step.loop is not None and step.loop.var == "matrix":
                axes = dict(step.loop.fields)
                if len(ref.parts) != 1 or ref.parts[0] not in axes:
                    name = ref.parts[0] if ref.parts else ""
                    self.error(use, UNKNOWN_NAME, f'`{ref.text}`: the matrix has no axis "{name}"'
                                             f'{suggest(name, axes) or "; its axes are: " + ", ".join(axes)}')
                    return None
                return RefInfo("loop", axes[ref.parts[0]], loop_step=step, field=ref.parts[0])
        if "matrix" in self.loop_vars:
            self.error(use, LOOP_SCOPE, f"`{ref.text}` is a matrix value, but this is outside the step with the `matrix:`")
        else:
            self.error(use, UNKNOWN_NAME, f"`{ref.text}`: no step around this has a `matrix:`")
        return None

    def loop_item(self, ref: Ref, use: Use) -> RefInfo | None:
        var = ref.parts[0]
        for step in scope_chain(use.step, use.inside):
            if step.loop is not None and step.loop.var == var:
                item_type = self.loop_item_type(step)
                if ref.field is not None:
                    if item_type.name not in ("dict", "any") and not step.loop.fields:  # text holding JSON objects has fields
                        self.error(use, TYPE_MISMATCH, f"`{ref.text}`: the items of this loop are {item_type}, not dicts with fields")
                        return None
                    fields = dict(step.loop.fields)
                    if fields and ref.field not in fields:
                        self.error(use, UNKNOWN_NAME, f'`{ref.text}`: the items have no field "{ref.field}"'
                                                 f'{suggest(ref.field, fields) or "; their fields are: " + ", ".join(fields)}')
                        return None
                    item_type = fields.get(ref.field, ANY)
                return RefInfo("loop", item_type, loop_step=step, field=ref.field)
        if var in self.loop_vars:
            self.error(use, LOOP_SCOPE, f"`{var}` is a loop variable, but this is outside its loop")
            return None
        names = ["params", "steps", "pipeline"] + [s.loop.var for s in scope_chain(use.step, use.inside)
                                                   if s.loop and s.loop.var != "matrix"]
        self.error(use, UNKNOWN_NAME, f'unknown name "{var}"{suggest(var, names)}; names are params.<name>, '
                                 "steps.<id>.outputs.<name>, a loop variable, or pipeline.status")
        return None


def check(doc: Document, pipeline: Pipeline) -> References:
    return _Resolver(doc, pipeline).run()


__all__ = ["check", "References", "RefInfo", "Use", "refs_in", "uses_of", "scope_chain"]
