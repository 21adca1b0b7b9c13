"""The names a person gave in the Python: `kfyaml import --source pipeline.py`.

KFP's IR keeps no Python names: the second use of `announce` is the task
`announce-2`, a `dsl.OneOf` is the output `condition-branches-1-oneof-1`.
The pipeline's source still has them (`done = announce(...)`,
`model = dsl.OneOf(...)`). The file is parsed with `ast`, never imported or
run, so it needs neither kfp nor the user's packages.

KFP names a pipeline's tasks in the order they are created: the
component's name, then `-2`, `-3`... A call's place in that order is
certain only when the pipeline function runs it exactly once, in the order
it is written: not inside a Python loop, comprehension, `if`, `try` or
nested function. Calls anywhere else are marked uncertain, and the
importer keeps KFP's names for that component rather than guess.
"""

from __future__ import annotations

import ast
import dataclasses
import re

from .. import codes
from ..diagnostics import Diagnostic, make

MAX_BYTES = 5 * 1024 * 1024  # a pipeline module is far smaller; a larger file is not one
_PIPELINE_DECORATORS = {"pipeline"}  # `@dsl.pipeline`, `@kfp.dsl.pipeline`, `@pipeline`, with or without `(...)`
_UNCERTAIN = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.Try, ast.ListComp, ast.SetComp, ast.DictComp,
              ast.GeneratorExp, ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.IfExp, ast.BoolOp, ast.Match)
_TRY_STAR = getattr(ast, "TryStar", ast.Try)


@dataclasses.dataclass(frozen=True)
class Call:
    """One call in a pipeline function that may create a task."""

    base: str         # the task name KFP starts from: the callee's name as KFP writes names (`train-model`)
    var: str | None   # the variable the task is assigned to (`train_task = train_model(...).after(a)`)
    certain: bool     # runs once, in the written order
    line: int


@dataclasses.dataclass(frozen=True)
class OneOf:
    var: str
    producers: frozenset[str]  # the variables whose outputs it chooses among


@dataclasses.dataclass(frozen=True)
class PipelineSource:
    function: str
    ir_names: frozenset[str]  # what KFP may call it: `pipelineInfo.name`, or `comp-<name>` when another uses it
    calls: tuple[Call, ...]
    oneofs: tuple[OneOf, ...]


@dataclasses.dataclass(frozen=True)
class Source:
    file: str
    pipelines: tuple[PipelineSource, ...]

    def pipeline(self, ir_name: str) -> PipelineSource | None:
        return next((p for p in self.pipelines if ir_name in p.ir_names), None)


def k8s_name(name: str) -> str:
    """KFP's `maybe_rename_for_k8s`: how a component or pipeline name becomes a task name."""
    return re.sub("-+", "-", re.sub("[^-0-9a-z]+", "-", name.lower())).strip("-")


def read(text: str, file: str) -> tuple[Source | None, Diagnostic | None]:
    """The pipeline functions of a Python file; or a located diagnostic when it is no Python kfyaml can read."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        return None, make(file, 1, 1, codes.IMPORT_SOURCE, f"the file is larger than {MAX_BYTES // 2**20} MiB; "
                          "give the Python file that defines the pipeline")
    try:
        tree = ast.parse(text, filename=file)
    except SyntaxError as exc:
        return None, make(file, exc.lineno or 1, exc.offset or 1, codes.IMPORT_SOURCE,
                          f"the file is not valid Python: {exc.msg}; give the file that defines the pipeline")
    except (ValueError, RecursionError, MemoryError):
        return None, make(file, 1, 1, codes.IMPORT_SOURCE, "the file is not Python kfyaml can parse")
    functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    named = {}  # a pipeline function's name -> the name `@dsl.pipeline(name=...)` gives it
    pipelines = []
    for func in functions:
        decorator = _pipeline_decorator(func)
        if decorator is None:
            continue
        given = _keyword(decorator, "name")
        named[func.name] = given or func.name
        ir = {k8s_name(given or func.name), k8s_name(func.name), "comp-" + k8s_name(given or func.name)}
        pipelines.append((func, frozenset(ir)))
    out = []
    for func, ir in pipelines:
        walker = _Walker(named)
        try:
            for stmt in func.body:
                walker.visit_statement(stmt, certain=True)
        except RecursionError:
            return None, make(file, func.lineno, func.col_offset + 1, codes.IMPORT_SOURCE,
                              f"{func.name}() nests expressions deeper than kfyaml reads; give a pipeline function "
                              "written as KFP's examples are")
        out.append(PipelineSource(func.name, ir, tuple(walker.calls), tuple(walker.oneofs)))
    return Source(file, tuple(out)), None


def _pipeline_decorator(func) -> ast.expr | None:
    for deco in func.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        if name in _PIPELINE_DECORATORS:
            return deco
    return None


def _keyword(deco: ast.expr, key: str) -> str | None:
    if isinstance(deco, ast.Call):
        for kw in deco.keywords:
            if kw.arg == key and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                return kw.value.value
    return None


class _Walker:
    """The calls of one pipeline function in the order Python evaluates them (arguments before the call)."""

    def __init__(self, pipeline_names: dict[str, str]):
        self.pipeline_names = pipeline_names
        self.calls: list[Call] = []
        self.oneofs: list[OneOf] = []

    def visit_statement(self, stmt: ast.stmt, certain: bool) -> None:
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            var = targets[0].id if len(targets) == 1 and isinstance(targets[0], ast.Name) else None
            self.visit(stmt.value, certain, var)
            return
        self.visit(stmt, certain, None)

    def visit(self, node: ast.AST, certain: bool, var: str | None) -> None:
        """Post-order: a call's arguments (and the call a method is chained on) create their tasks first."""
        if isinstance(node, _UNCERTAIN + (_TRY_STAR,)):
            certain = False
        body_fields = ("body", "orelse", "finalbody", "handlers")
        for field, value in ast.iter_fields(node):
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, ast.stmt) and field in body_fields:
                    self.visit_statement(item, certain)
                elif isinstance(item, ast.AST):
                    chained = var if field == "func" and isinstance(node, ast.Call) else None
                    if isinstance(node, ast.Attribute) and field == "value":
                        chained = var  # `train(...).set_caching_options(False)`: the task is the inner call's
                    self.visit(item, certain, chained)
        if isinstance(node, ast.Call):
            self._call(node, certain, var)

    def _call(self, node: ast.Call, certain: bool, var: str | None) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name is None:
            return
        if name == "OneOf":
            if var is not None:
                producers = set()
                for arg in node.args:
                    ref = arg.value if isinstance(arg, ast.Subscript) else arg  # `t.outputs["m"]`: `t.outputs`
                    if isinstance(ref, ast.Attribute) and isinstance(ref.value, ast.Name):
                        producers.add(ref.value.id)
                self.oneofs.append(OneOf(var, frozenset(producers)))
            return
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
            return  # a method on a task (`.after(...)`, `.set_...()`): the task is the inner call
        base = k8s_name(self.pipeline_names.get(name, name))
        if base:
            self.calls.append(Call(base, var, certain, node.lineno))
