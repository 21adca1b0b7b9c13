"""The library API: the passes in order, for the CLI, tests and editors.

load -> schema -> resolve -> references -> types -> graph -> lower -> the IR gate, then the
project's suppressions (comments and configuration). Each pass returns its
value and its diagnostics; lowering never runs on a pipeline with errors. A
pass that raises is a bug in kfyaml, and it still ends as a diagnostic
(KY900) rather than a traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
from collections.abc import Callable

from . import suppress
from .catalog import Catalog, StdlibCatalog
from .codes import INTERNAL_ERROR
from .config import NONE as NO_CONFIG
from .config import Config, for_file, shown_beside
from .diagnostics import Diagnostic, Severity, has_errors, make, reset_suggestions, sort_unique
from .load import MAX_BYTES, LoadResult, load_bytes, load_file
from .model import Pipeline


@dataclasses.dataclass(frozen=True)
class Result:
    file: str
    diagnostics: list[Diagnostic]
    lines: list[str]
    pipeline_spec: dict | None = None
    platform_spec: dict | None = None
    config: Config = NO_CONFIG
    pipeline: Pipeline | None = None  # the typed pipeline, when the file got that far

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    @property
    def fails_lint(self) -> bool:
        """Whether `kfyaml lint` fails on this file: any error, or a warning the configuration lets fail."""
        return any(d.severity is Severity.ERROR or self.config.warning_fails(d.code) for d in self.diagnostics)

    def ir_text(self) -> str:
        from .emit import ir_text

        with gc_paused():
            return ir_text(self.pipeline_spec, self.platform_spec, os.path.basename(self.file))


@contextlib.contextmanager
def gc_paused():
    """Compiling makes hundreds of thousands of small, short-lived objects and no garbage cycles worth
    chasing mid-way; the collector's passes over them were a third of compiling a large file."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _default_catalog() -> Catalog:
    return StdlibCatalog()


def check_file(path: str, catalog: Catalog | None = None, display: str | None = None) -> Result:
    """Every check, no lowering: what `kfyaml lint` runs."""
    return _run(lambda: load_file(path, display), catalog, lower=False, source=lambda: _file_lines(path))


def compile_file(path: str, catalog: Catalog | None = None, display: str | None = None) -> Result:
    return _run(lambda: load_file(path, display), catalog, lower=True, source=lambda: _file_lines(path))


def _file_lines(path: str) -> list[str]:
    """A file's lines for showing a YAML syntax error under its line; none for what cannot be shown."""
    try:
        if os.path.getsize(path) > MAX_BYTES:
            return []
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return []


def compile_bytes(raw: bytes, file: str = "<string>", catalog: Catalog | None = None, lower: bool = True,
                  folder: str | None = None) -> Result:
    """Text not read from a file (standard input, an editor's buffer), shown as `file`.

    `uses:` paths and the project's configuration are looked up from `folder`
    (default: the current one), as if the text were a file there.
    """
    def load() -> LoadResult:
        loaded = load_bytes(raw, file)
        if loaded.document is None:
            return loaded
        where = os.path.join(os.path.abspath(folder or os.getcwd()), os.path.basename(file))
        return LoadResult(dataclasses.replace(loaded.document, source_path=where), loaded.diagnostics)

    return _run(load, catalog, lower=lower, source=lambda: raw[:MAX_BYTES].decode("utf-8", "replace").splitlines())


def _run(load: Callable[[], LoadResult], catalog: Catalog | None, lower: bool,
         source: Callable[[], list[str]] = list) -> Result:
    with gc_paused():
        return _checked(load(), catalog, lower, source)


def _checked(loaded: LoadResult, catalog: Catalog | None, lower: bool, source: Callable[[], list[str]] = list) -> Result:
    doc = loaded.document
    if doc is None:  # not YAML a pipeline can hold: the error is still shown under its line
        file = loaded.diagnostics[0].file
        return Result(file, sort_unique(loaded.diagnostics), source())
    try:
        reset_suggestions()
        chain = (os.path.realpath(doc.source_path),) if doc.source_path else ()
        config = shown_beside(for_file(doc.source_path), doc.source_path, doc.file) if doc.source_path else NO_CONFIG
        # Files a pipeline names are read inside the project root only: a pull request's pipeline must not
        # read (and embed into the IR) files elsewhere on the CI machine.
        root = config.root or (os.path.dirname(os.path.abspath(doc.source_path)) if doc.source_path else os.getcwd())
        from .remote import session

        with session.for_pipeline(doc.source_path):  # remote `uses:`: which kfyaml.lock
            result = _passes(doc, catalog or _default_catalog(), lower, chain, root=root)
        kept = suppress.apply(result.diagnostics, doc.file, doc.lines, config)
        return dataclasses.replace(result, diagnostics=sort_unique(kept), config=config)
    except Exception as exc:  # a kfyaml bug: report it, never a traceback
        diag = make(doc.file, 1, 1, INTERNAL_ERROR, f"internal error ({type(exc).__name__}: {exc}); nothing was "
                                                    "written. Please report this file to the kfyaml maintainers")
        return Result(doc.file, [diag], doc.lines)


def _passes(doc, catalog: Catalog, lower: bool, chain: tuple[str, ...] = (), nested: bool = False,
            root: str | None = None) -> Result:
    from .validate_schema import validate

    diags = validate(doc)
    if diags:
        return Result(doc.file, sort_unique(diags), doc.lines)
    from .checks import graph, references, types
    from .resolve import resolve

    def compile_nested(nested_doc, nested_chain):
        """A pipeline that `uses:` names: every pass, lowered as a nested DAG. A remote one reads files inside
        its own locked tree only."""
        from .remote.store import tree_root_of

        own = tree_root_of(nested_doc.source_path) if nested_doc.source_path else None
        return _passes(nested_doc, catalog, True, nested_chain, nested=True, root=own or root)

    resolved = resolve(doc, catalog, chain, compile_nested, root)
    pipeline = resolved.pipeline
    refs = references.check(doc, pipeline)
    diags = resolved.diagnostics + refs.diagnostics + types.check(doc, pipeline, refs)
    # A param read only by an expression that did not parse or resolve is not known to be unused.
    every_name_read = resolved.expressions_parsed and refs.names_complete
    dependency_graph = graph.check(doc, pipeline, refs, every_name_read)
    diags += dependency_graph.diagnostics
    diags = sort_unique(diags)
    if not lower or has_errors(diags):
        return Result(doc.file, diags, doc.lines, pipeline=pipeline)
    from .lower import lower as lower_pipeline

    spec, platform = lower_pipeline(pipeline, refs, dependency_graph.deps, nested=nested)
    from . import ir_gate

    leaks = ir_gate.check(doc, spec, platform)
    if leaks:
        return Result(doc.file, sort_unique(diags + leaks), doc.lines, pipeline=pipeline)
    return Result(doc.file, diags, doc.lines, spec, platform, pipeline=pipeline)
