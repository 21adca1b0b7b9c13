"""`kfyaml import`: compiled KFP IR back into a readable kfyaml pipeline.

The reverse of the compiler, for teams moving off the Python DSL: read the
IR (read), find its shape (structure), trace every binding to its source
(sources), turn conditions back into expressions (conditions), executors
into step bodies (containers), the PlatformSpec into `kubernetes:`
(platform), and write the files (steps, document, write). What kfyaml has
no form for is reported at its place in the IR, never guessed, and then
nothing is written. tests/test_differential*.py check that compiling the
import of every pipeline there gives IR equivalent to KFP's.
"""

from __future__ import annotations

import dataclasses

from ..diagnostics import Diagnostic, sort_unique
from ..resolve.steps import sanitize_name
from .context import Importer, Output
from .read import Problems, load


@dataclasses.dataclass(frozen=True)
class Imported:
    files: dict[str, str]           # relative path -> text; the pipeline is "pipeline.yaml"
    diagnostics: list[Diagnostic]
    readable: bool = True           # False: the file is not KFP IR at all
    notes: tuple[str, ...] = ()     # worth saying though nothing is wrong (names KFP numbered, kept as it did)

    @property
    def ok(self) -> bool:
        return not self.diagnostics


def run_settings(doc: dict, display_name: str | None, ir, problems: Problems) -> dict:
    """The pipeline-level settings (`display_name:`, `pipeline_root:`, `pipeline_config:`) placed after `description:`."""
    extra: dict = {}
    if display_name:
        extra["display_name"] = display_name
    if ir.spec.get("defaultPipelineRoot"):
        extra["pipeline_root"] = ir.spec["defaultPipelineRoot"]
    config = {}
    where = (1, "platforms", "kubernetes", "pipelineConfig")
    for key, ours in (("activeDeadlineSeconds", "timeout"), ("resourceTtlOnCompletion", "ttl_after_finished"),
                      ("resourceTtlOnSuccess", "ttl_after_success"), ("resourceTtlOnFailure", "ttl_after_failure")):
        if key in ir.run_config:
            config[ours] = int(ir.run_config[key])
    workspace = ir.run_config.get("workspace")
    if workspace:
        config["workspace"] = {"size": workspace.get("size")}
        patch = (workspace.get("kubernetes") or {}).get("pvcSpecPatch")
        if patch:
            config["workspace"]["pvc_spec_patch"] = patch
        for key in sorted(set(workspace) - {"size", "kubernetes"}) + sorted(set(workspace.get("kubernetes") or {}) - {"pvcSpecPatch"}):
            problems.add(where + ("workspace", key), f"the workspace setting `{key}`: kfyaml has no form for it yet")
    for key in sorted(set(ir.run_config) - {"activeDeadlineSeconds", "resourceTtlOnCompletion", "resourceTtlOnSuccess",
                                            "resourceTtlOnFailure", "workspace"}):
        problems.add(where + (key,), f"the pipeline setting `{key}`: kfyaml has no form for it yet")
    if config:
        extra["pipeline_config"] = config
    if not extra:
        return doc
    keys = list(doc)
    at = keys.index("description") + 1 if "description" in keys else 1
    return {**{k: doc[k] for k in keys[:at]}, **extra, **{k: doc[k] for k in keys[at:]}}


def import_ir(text: str, display: str, main: str = "pipeline.yaml", source: tuple[str, str] | None = None) -> Imported:
    """The kfyaml files for one IR file's text; `display` names it in diagnostics. `source` is the
    pipeline's Python (file name, text), read for the names a person gave that the IR does not keep."""
    from .document import pipeline
    from .write import dump

    problems = Problems(display, {})
    ir = load(text, problems)
    if ir is None:
        return Imported({}, sort_unique(problems.found), readable=False)
    out = Output()
    info = ir.spec.get("pipelineInfo", {}) or {}
    name = info.get("name", "pipeline")
    python = None
    if source is not None:
        python, problem = _read_source(source, name)
        if problem is not None:
            return Imported({}, [problem])
    shown = info.get("displayName")  # kfyaml's `name:` is the display name, the IR name derived from it
    if shown and sanitize_name(shown) == name:
        name, shown = shown, None
    doc = pipeline(Importer(ir, problems, out, file=main, source=python, ir_name=name), "root", ir.spec["root"], name,
                   info.get("description"))
    doc = run_settings(doc, shown, ir, problems)
    files = {main: dump(doc), **dict(sorted(out.files.items()))}
    if not problems.found:
        from .verify import check

        check(files, out.places, problems, main)
    if problems.found:
        return Imported({}, sort_unique(problems.found))
    return Imported(files, [], notes=tuple(out.notes))


def _read_source(source: tuple[str, str], name: str):
    """The Python file's pipelines, when one of them is the IR's pipeline `name`."""
    from .. import codes
    from ..diagnostics import make
    from .python_source import read

    file, text = source
    python, problem = read(text, file)
    if problem is not None:
        return None, problem
    if python.pipeline(name) is None:
        found = ", ".join(f"{p.function}()" for p in python.pipelines) or "none"
        return None, make(file, 1, 1, codes.IMPORT_SOURCE, f"no `@dsl.pipeline` function here compiles to the "
                          f"pipeline `{name}` (pipeline functions found: {found}); give the file that defines it")
    return python, None
