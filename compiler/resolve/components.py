"""What a step runs, when it names it: `uses:` references and `python:` functions.

`uses:` reaches the standard library through the `Catalog`, this file's
`components:` entries, and component files (KFP v1/v2, other kfyaml
pipelines) through `component_files`. Each component is resolved once per
file and shared by every step that uses it.
"""

from __future__ import annotations

import os

from ..codes import BAD_USES, DIGEST_MISMATCH, FILE_CYCLE, MISPLACED_KEY, PYTHON_STEP, REMOTE_USES, UNKNOWN_STDLIB_STEP
from ..diagnostics import Diagnostic, make, suggest
from ..load import MAX_BYTES, Path
from ..model import Component
from ..python_step import MAX_CODE
from . import containers
from .context import Context


def uses(ctx: Context, ref: str, path: Path, sha256=None) -> Component | None:
    if ref.startswith(("git+", "https://", "http://")):
        return remote_component(ctx, ref, path, sha256)
    if ref.startswith("components."):
        return local_component(ctx, ref[len("components."):], path)
    if ref.startswith(ctx.catalog.prefix):
        name = ref[len(ctx.catalog.prefix):]
        component = ctx.catalog.get(name)
        if component is None:
            names = ctx.catalog.names()
            hint = suggest(name, names) or (f"; the library has: {', '.join(names)}" if names
                                            else "; the standard library has no steps in this version")
            ctx.error(path, UNKNOWN_STDLIB_STEP, f'no standard-library step "{name}"{hint}')
        return component
    if ref.startswith("./") or ref.startswith("../") or ref.endswith((".yaml", ".yml")):
        return component_file(ctx, ref, path)
    ctx.error(path, BAD_USES, f'`uses: {ref}` is not a step reference; use `stdlib/<name>`, '
                              "`components.<name>` or a relative path such as `./component.yaml`")
    return None


def local_component(ctx: Context, name: str, path: Path) -> Component | None:
    """A `components.<name>` entry: an inline container or a Python function, checked like a step."""
    specs = ctx.doc.data.get("components") or {}
    if name not in specs:
        hint = suggest(name, specs) or (f"; this file's components are: {', '.join(specs)}" if specs
                                        else "; define it under a top-level `components:`")
        ctx.error(path, BAD_USES, f'no component "{name}"{hint}')
        return None
    key = f"components.{name}"
    if key not in ctx.component_cache:
        spec = specs[name]
        where = ("components", name)
        if ("image" in spec) == ("python" in spec) and not ("image" in spec and "python" in spec):
            ctx.error(where, MISPLACED_KEY, f'component "{name}" needs `image:` (a container) or `python:` (a function)',
                      key=True)
            ctx.component_cache[key] = None
        elif "python" in spec:
            ctx.component_cache[key] = python(ctx, name, spec, where)
        else:
            ctx.component_cache[key] = containers.container(ctx, name, spec, where)
    return ctx.component_cache[key]


def remote_component(ctx: Context, ref: str, path: Path, sha256) -> Component | None:
    """A component from another repository or a URL, as kfyaml.lock pins it (compiler/remote)."""
    from ..component_files import FileError, load_component
    from ..remote.images import pinned
    from ..remote.refs import redact
    from ..remote.resolve import RemoteProblem, local_file

    key = f"remote:{ref}:{sha256}"
    if key not in ctx.component_cache:
        try:
            real, images = local_file(ref, sha256)
        except RemoteProblem as problem:
            where = path[:-1] + ("sha256",) if problem.at_sha256 else path
            ctx.error(where, DIGEST_MISMATCH if problem.tampered else REMOTE_USES, f"`uses: {redact(ref)}`: {problem}")
            ctx.component_cache[key] = None
            return None
        try:
            component, diags = load_component(real, redact(ref), ctx.chain, ctx.compile_nested)
        except FileError as err:
            ctx.error(path, FILE_CYCLE, f"{err}; a pipeline cannot use itself")
            component, diags = None, []
        ctx.diags.extend(diags)
        ctx.component_cache[key] = pinned(component, images)  # `kfyaml lock --images`: tags written with digests
    return ctx.component_cache[key]


def component_file(ctx: Context, ref: str, path: Path) -> Component | None:
    from ..component_files import FileError, load_component

    real = ctx.readable(ref, path, BAD_USES, "`uses:`", MAX_BYTES)
    if real is None:
        return None
    if real not in ctx.component_cache:
        shown = ctx.shown(ref)
        if not os.path.isfile(real):
            what = "is a folder" if os.path.isdir(real) else "does not exist"
            ctx.error(path, BAD_USES, f"`uses: {ref}`: {shown} {what}; the path is relative to this file")
            ctx.component_cache[real] = None
            return None
        try:
            component, diags = load_component(real, shown, ctx.chain, ctx.compile_nested)
        except FileError as err:
            ctx.error(path, FILE_CYCLE, f"{err}; a pipeline cannot use itself")
            component, diags = None, []
        ctx.diags.extend(diags)
        if component is None and not any(d.severity.value == "error" for d in diags) and not ctx.diags:
            ctx.error(path, BAD_USES, f"`uses: {ref}` could not be used")
        ctx.component_cache[real] = component
    return ctx.component_cache[real]


def python(ctx: Context, sid: str, spec: dict, path: Path) -> Component | None:
    """A `python:` step or component: its interface from the function's signature, read with `ast`."""
    from ..python_step import DEFAULT_IMAGE, PythonStepError, analyse

    raw = spec["python"]
    where = path + ("python",)
    file = None
    if isinstance(raw, str):
        code, function = raw, None
    elif "file" in raw:
        file = ctx.readable(raw["file"], where + ("file",), PYTHON_STEP, "the Python file", MAX_CODE)
        if file is None:
            return None
        function = raw["function"]
        try:
            with open(file, encoding="utf-8") as fh:
                code = fh.read(MAX_CODE + 1)
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            ctx.error(where + ("file",), PYTHON_STEP, f'cannot read "{raw["file"]}": {reason}')
            return None
    else:
        code, function = raw["code"], raw.get("function")
    if len(code) > MAX_CODE:
        ctx.error(where, PYTHON_STEP, f"the step's Python code is {len(code):,} characters; the limit is {MAX_CODE:,} "
                                      "(put data in an artifact, not in the code)")
        return None
    try:
        fn = analyse(code, function, where)
    except PythonStepError as err:
        if file is not None and not err.line:  # about the file as a whole: point at `function:`
            ctx.error(where + ("function",), PYTHON_STEP, err.message)
        elif file is not None:
            ctx.diags.append(make(ctx.shown(raw["file"]), err.line, max(err.col, 1), PYTHON_STEP, err.message))
        else:
            ctx.diags.append(_code_diagnostic(ctx, where if isinstance(raw, str) else where + ("code",), err))
        return None
    image = spec.get("image", DEFAULT_IMAGE)
    image = containers.image(ctx, image, path)
    return Component(sid, fn.inputs, fn.outputs, image, path=path, python=fn, packages=tuple(spec.get("packages", [])))


def _code_diagnostic(ctx: Context, path: Path, err) -> Diagnostic:
    """Line `err.line` of code held in a YAML block scalar, as a position in the YAML file."""
    lines = ctx.doc.lines
    line, col = ctx.doc.locate(path)
    if err.line and 1 <= line <= len(lines) and lines[line - 1].rstrip().endswith(("|", "|-", "|+", ">")):
        target = line + err.line
        if target <= len(lines):
            text = lines[target - 1]
            indent = len(text) - len(text.lstrip())
            return make(ctx.doc.file, target, indent + max(err.col, 1), PYTHON_STEP, err.message)
    return make(ctx.doc.file, line, col, PYTHON_STEP, err.message)


def importer(sid: str, spec: dict, path: Path) -> Component:
    """An importer step: one string input, `uri`, and the artifact it names as the output `artifact`."""
    from ..model import Port, Type

    return Component(sid, {"uri": Port("uri", Type("string"), path + ("importer", "uri"))},
                     {"artifact": Port("artifact", Type(spec["type"]), path + ("importer", "type"))}, image="",
                     path=path, importer={"type": spec["type"], "metadata": spec.get("metadata") or {},
                                          "reimport": bool(spec.get("reimport"))})
