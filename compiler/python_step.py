"""`python:` steps: a function becomes a KFP lightweight Python component.

KFP's own way (`@dsl.component`) imports the user's module to inspect the
function, which runs their code at compile time and needs kfp installed.
Here the source is parsed with `ast` and never executed: the annotated
signature gives the typed inputs and outputs (KFP's conventions: `str`,
`int`, ..., `Input[Dataset]`, `Output[Model]`, return values and
`NamedTuple` outputs), and the executor is written exactly as `@dsl.component`
writes it (tests/test_differential.py compares the two byte for byte), so the
step runs under KFP's executor (`kfp.dsl.executor_main`) on any backend.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import textwrap

from kfyaml.ir.placeholders import EXECUTOR_INPUT
from kfyaml.ir.prelude import INSTALL_MARK, INSTALL_SCRIPT, KFP_RUNTIME_EXTRAS, PIP_INSTALL, RUN_SCRIPT, SOURCE_HEADER

from .model import Port, Type

KFP_VERSION = "2.17.3"  # the kfp the step's container installs to run its executor
DEFAULT_IMAGE = "python:3.11"
MAX_CODE = 1024 * 1024  # characters of a step's Python code: parsing far larger code costs gigabytes
_VALUES = {"str": "string", "int": "int", "float": "float", "bool": "bool", "list": "list", "dict": "dict",
           "List": "list", "Dict": "dict"}
_ARTIFACTS = {"Artifact": "artifact", "Dataset": "dataset", "Model": "model", "Metrics": "metrics",
              "ClassificationMetrics": "classification_metrics", "HTML": "html", "Markdown": "markdown"}
class PythonStepError(Exception):
    def __init__(self, message: str, line: int = 0, col: int = 0):
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


@dataclasses.dataclass(frozen=True)
class PythonFunction:
    name: str
    inputs: dict[str, Port]
    outputs: dict[str, Port]
    source: str  # what runs in the container: KFP's import header and the code


def analyse(code: str, function: str | None, path: tuple) -> PythonFunction:
    """The function's interface and the module to embed. Raises PythonStepError."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise PythonStepError(f"the Python code does not parse: {exc.msg}", exc.lineno or 0, exc.offset or 0) from None
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if function is None:
        if len(functions) != 1:
            names = ", ".join(f.name for f in functions) or "none"
            raise PythonStepError(f"the code defines {len(functions)} top-level functions ({names}); "
                                  "name the one to run with `function:`")
        node = functions[0]
    else:
        matches = [f for f in functions if f.name == function]
        if not matches:
            from .diagnostics import suggest

            hint = suggest(function, [f.name for f in functions]) or \
                f"; it defines: {', '.join(f.name for f in functions) or 'no functions'}"
            raise PythonStepError(f'no top-level function "{function}" in the code{hint}')
        node = matches[0]
    inputs, outputs = _described(node, *_signature(node, path))
    body = code if len(functions) > 1 or any(not isinstance(n, ast.FunctionDef) for n in tree.body) \
        else _function_source(code, node)
    source = SOURCE_HEADER + body.rstrip("\n") + "\n\n"
    return PythonFunction(node.name, inputs, outputs, source)


_SECTIONS = re.compile(r"^\s*(Args|Arguments|Parameters|Returns?|Yields?|Keyword Args)\b|[:@]param\b|[:@]returns?\b",
                       re.MULTILINE)


def _described(node: ast.FunctionDef, inputs: dict[str, Port], outputs: dict[str, Port]) -> tuple[dict, dict]:
    """Descriptions from the docstring, as `@dsl.component` takes them (KFP's own calls of
    docstring_parser): inputs from `Args:`, outputs from `Returns:` read as an `Args:` section."""
    doc = ast.get_docstring(node, clean=True)
    if not doc or not _SECTIONS.search(doc):  # no parameter section in any style: nothing to take (and no import)
        return inputs, outputs
    import docstring_parser

    def assign(ports: dict[str, Port], params) -> dict[str, Port]:
        found = {p.arg_name: p.description for p in params}
        return {name: dataclasses.replace(port, description=found[name]) if name in found else port
                for name, port in ports.items()}

    try:
        inputs = assign(inputs, docstring_parser.parse(doc).params)
        for keyword in ("Returns:\n", "Returns\n", "Return:\n", "Return\n"):
            if keyword in doc:
                outputs = assign(outputs, docstring_parser.parse(doc.replace(keyword.strip(), "Args:")).params)
                break
    except docstring_parser.ParseError:
        pass  # KFP fails to compile such a docstring; kfyaml keeps the ports undescribed
    return inputs, outputs


def _function_source(code: str, node: ast.FunctionDef) -> str:
    """The `def` through its last line, decorators dropped, as KFP takes it: KFP reads the function with
    `inspect.getsource`, whose block ends where `inspect.getblock` says (comment lines after the last
    statement included), so the same function here is read the same way."""
    import inspect

    lines = code.splitlines(keepends=True)[node.lineno - 1:]
    try:
        block = inspect.getblock(lines)
    except Exception:  # noqa: BLE001 - tokenizing a fragment can fail; the syntax tree's end is then the end
        block = lines[: node.end_lineno - node.lineno + 1]
    if len(block) < node.end_lineno - node.lineno + 1:
        block = lines[: node.end_lineno - node.lineno + 1]
    return textwrap.dedent("".join(block)).rstrip("\n")


def _signature(node: ast.FunctionDef, path: tuple) -> tuple[dict[str, Port], dict[str, Port]]:
    inputs: dict[str, Port] = {}
    outputs: dict[str, Port] = {}
    args = node.args
    if args.vararg or args.kwarg or args.posonlyargs:
        raise PythonStepError("a step function takes named parameters only (no *args, **kwargs or /)", node.lineno)
    positional = args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = list(zip(positional, defaults, strict=False)) + list(zip(args.kwonlyargs, args.kw_defaults, strict=False))
    for arg, default in params:
        if arg.annotation is None:
            raise PythonStepError(f'parameter "{arg.arg}" has no type annotation; annotate it (`{arg.arg}: str`, '
                                  f"`{arg.arg}: Input[Dataset]`, ...)", arg.lineno, arg.col_offset + 1)
        direction, t = _annotation(arg.annotation, arg.arg)
        has_default, value = False, None
        if default is not None:
            try:
                value = ast.literal_eval(default)
            except ValueError:
                raise PythonStepError(f'the default of "{arg.arg}" must be a literal', default.lineno,
                                      default.col_offset + 1) from None
            has_default = True
        if direction == "out":  # `OutputPath(int) = None`: the default means nothing for an output
            value, has_default = None, False
        port = Port(arg.arg, t, path, value, has_default)
        (outputs if direction == "out" else inputs)[arg.arg] = port
    if node.returns is not None and not (isinstance(node.returns, ast.Constant) and node.returns.value is None):
        for name, t in _returns(node.returns):
            outputs[name] = Port(name, t, path)
    return inputs, outputs


def _name(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr  # dsl.Input, typing.List, kfp.dsl.Dataset
    return None


def _path_type(node) -> Type | None:
    """The type in `InputPath(...)`/`OutputPath(...)`: a value type (`str`) or an artifact ("Dataset")."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return Type(_ARTIFACTS.get(node.value, "artifact"))
    if isinstance(node, ast.Subscript) and _name(node.value) in ("List", "list", "Dict", "dict"):
        return Type(_VALUES[_name(node.value)])  # `OutputPath(Dict[str, int])`: KFP keeps the outer type only
    name = _name(node)
    if name in _VALUES:
        return Type(_VALUES[name])
    if name in _ARTIFACTS:
        return Type(_ARTIFACTS[name])
    return None


def _annotation(node, param: str) -> tuple[str, Type]:
    """('in' | 'out', type) for a parameter annotation, read as KFP reads it."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        node = ast.parse(node.value, mode="eval").body  # a string annotation
    if isinstance(node, ast.Subscript) and _name(node.value) == "Optional":  # the value may be None
        node = node.slice
    if isinstance(node, ast.Call) and _name(node.func) in ("InputPath", "OutputPath") and len(node.args) <= 1:
        # `InputPath()` with no type is an untyped artifact (system.Artifact), as KFP reads it
        t = _path_type(node.args[0]) if node.args else Type("artifact")
        if t is not None:
            return ("in" if _name(node.func) == "InputPath" else "out"), t
    name = _name(node)
    if name in _VALUES:
        return "in", Type(_VALUES[name])
    if name == "PipelineTaskFinalStatus":
        return "in", Type("dict")
    if name in _ARTIFACTS:  # a bare `Dataset` is an input, as KFP reads it
        return "in", Type(_ARTIFACTS[name])
    if isinstance(node, ast.Subscript):
        outer, inner = _name(node.value), node.slice
        if outer in ("List", "list") and _name(inner) in _ARTIFACTS:  # `List[Model]`: a list of artifacts
            return "in", Type("list", Type(_ARTIFACTS[_name(inner)]))
        if outer in ("List", "list", "Dict", "dict"):
            return "in", Type(_VALUES[outer])
        if outer in ("Input", "Output"):
            direction = "in" if outer == "Input" else "out"
            if isinstance(inner, ast.Subscript) and _name(inner.value) in ("List", "list") and direction == "in":
                item = _name(inner.slice)
                if item in _ARTIFACTS:
                    return direction, Type("list", Type(_ARTIFACTS[item]))
            if _name(inner) in _ARTIFACTS:
                return direction, Type(_ARTIFACTS[_name(inner)])
    text = ast.unparse(node)
    raise PythonStepError(f'parameter "{param}": the annotation `{text}` is not supported; use str, int, float, bool, '
                          "list, dict (or Optional of them), Input[Dataset], Output[Model] (any of Artifact, Dataset, "
                          "Model, Metrics, ClassificationMetrics, HTML, Markdown), List of them, InputPath(...) or "
                          "OutputPath(...)",
                          node.lineno, node.col_offset + 1)


def _returns(node) -> list[tuple[str, Type]]:
    name = _name(node)
    if name in _VALUES:
        return [("Output", Type(_VALUES[name]))]
    if name in _ARTIFACTS:  # `-> Dataset`: the function returns an artifact
        return [("Output", Type(_ARTIFACTS[name]))]
    if isinstance(node, ast.Call) and _name(node.func) == "NamedTuple" and len(node.args) == 1 and node.keywords:
        return [(k.arg, _annotation(k.value, k.arg)[1]) for k in node.keywords]  # NamedTuple("O", a=float)
    if isinstance(node, ast.Subscript) and _name(node.value) in ("List", "list", "Dict", "dict"):
        return [("Output", Type(_VALUES[_name(node.value)]))]
    if isinstance(node, ast.Call) and _name(node.func) == "NamedTuple" and len(node.args) == 2 \
            and isinstance(node.args[1], (ast.List, ast.Tuple)):
        out = []
        for field in node.args[1].elts:
            if not (isinstance(field, (ast.Tuple, ast.List)) and len(field.elts) == 2
                    and isinstance(field.elts[0], ast.Constant)):
                break
            direction, t = _annotation(field.elts[1], field.elts[0].value)
            out.append((field.elts[0].value, t))
        else:
            return out
    raise PythonStepError(f"the return annotation `{ast.unparse(node)}` is not supported; return a value type "
                          '(`-> float`) or `NamedTuple("Outputs", [("accuracy", float), ...])`',
                          node.lineno, node.col_offset + 1)


def executor(fn: PythonFunction, image: str, packages: list[str]) -> dict:
    """The container KFP's `@dsl.component(base_image=image, packages_to_install=packages)` writes."""
    commands = []
    if packages:
        commands.append(_pip(packages))
    if not any(p.startswith("kfp") for p in packages):
        if commands:
            commands.append("&&")
        commands.append(_pip([f"kfp=={KFP_VERSION}", *KFP_RUNTIME_EXTRAS]))
    return {"container": {
        "image": image,
        # KFP joins " && " to its neighbours with spaces: `'pandas'  &&  python3 ...`.
        "command": ["sh", "-c", INSTALL_SCRIPT.format(mark=INSTALL_MARK, commands=" ".join(c if c != "&&" else " && " for c in commands)),
                    "sh", "-ec", RUN_SCRIPT, fn.source],
        "args": ["--executor_input", EXECUTOR_INPUT, "--function_to_execute", fn.name],
    }}


def _pip(parts: list[str]) -> str:
    return PIP_INSTALL + " " + " ".join(repr(str(p)) for p in parts)
