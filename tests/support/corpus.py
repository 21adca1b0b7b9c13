"""Real-world KFP pipelines through kfyaml: compile with kfp, import, recompile, compare.

Each corpus file is a public KFP v2 pipeline (its source is recorded in
tests/data/kfp_corpus/SOURCES.yaml). `outcome` compiles it with the installed
kfp, imports the IR with `kfyaml import`, compiles the result with kfyaml and
compares the two IRs under the differential suite's normalizer. It says one
of:

- `equivalent`: the imported pipeline compiles to IR that means the same;
- `refused`: `kfyaml import` refused it, and the diagnostics say where and why (KY602);
- `differs`: it compiled, but to something else (a bug unless the corpus table explains it);
- `does-not-compile`: the imported YAML has errors (a bug in the importer or the compiler).

`python tests/support/corpus.py` prints the table for docs/migrating.md.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import os
import pprint
import sys
import tempfile
import warnings
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "data" / "kfp_corpus"


@dataclasses.dataclass
class Outcome:
    name: str
    result: str  # equivalent | refused | differs | does-not-compile
    detail: list[str]


def _compiled_name(source: str) -> str | None:
    """The pipeline the file's own `Compiler().compile(...)` call compiles, if it has one."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile":
            named = [k.value for k in node.keywords if k.arg == "pipeline_func"] or node.args[:1]
            if named and isinstance(named[0], ast.Name):
                return named[0].id
    return None


def kfp_ir(path: Path, out: Path) -> Path:
    """Compile the corpus file's pipeline with kfp: the one its own compile call names (`PIPELINE = "name"`
    overrides), else the last pipeline it defines. Run from the file's folder, as its author did."""
    from kfp import compiler
    from kfp.dsl import base_component, graph_component

    source = path.read_text()
    spec = importlib.util.spec_from_file_location(f"kfp_corpus_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    here = os.getcwd()
    os.chdir(path.parent)
    sys.path.insert(0, str(path.parent))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec.loader.exec_module(module)
            name = getattr(module, "PIPELINE", None) or _compiled_name(source)
            if name is None or not isinstance(getattr(module, name, None), base_component.BaseComponent):
                # A component compiled alone is a one-task pipeline to kfp; a pipeline is preferred.
                found = [v for v in vars(module).values() if isinstance(v, graph_component.GraphComponent)] or \
                    [v for v in vars(module).values() if isinstance(v, base_component.BaseComponent)]
                if not found:
                    raise LookupError("the file defines no pipeline or component")
                pipeline = found[-1]
            else:
                pipeline = getattr(module, name)
            ir = out / f"{path.stem}.ir.yaml"
            compiler.Compiler().compile(pipeline, str(ir))
    finally:
        os.chdir(here)
        sys.path.remove(str(path.parent))
    return ir


def outcome(path: Path, work: Path) -> Outcome:
    from kfyaml.compiler import api
    from kfyaml.compiler.importer import import_ir
    from support.normalize_ir import normalize, root_outputs

    ir = kfp_ir(path, work)
    imported = import_ir(ir.read_text(), str(ir))
    if not imported.ok:
        return Outcome(path.stem, "refused", [_shown(d, work) for d in imported.diagnostics])
    folder = work / "imported"
    for rel, text in imported.files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    result = api.compile_file(str(folder / "pipeline.yaml"))
    if not result.ok:
        return Outcome(path.stem, "does-not-compile", [_shown(d, work) for d in result.diagnostics])
    ours = list(yaml.safe_load_all(result.ir_text()))
    theirs = list(yaml.safe_load_all(ir.read_text()))
    a = normalize(ours[0], ours[1] if len(ours) > 1 else None)
    b = normalize(theirs[0], theirs[1] if len(theirs) > 1 else None)
    detail = []
    if sorted(a) != sorted(b):
        detail.append(f"tasks: kfyaml {sorted(a)}, kfp {sorted(b)}")
    for leaf in sorted(set(a) & set(b)):
        if a[leaf] != b[leaf]:
            keys = sorted(k for k in a[leaf] if a[leaf][k] != b[leaf].get(k))
            detail.append(f"task {leaf}: {', '.join(keys)} differ:\n  kfyaml {pprint.pformat({k: a[leaf][k] for k in keys})}"
                          f"\n  kfp    {pprint.pformat({k: b[leaf].get(k) for k in keys})}")
    if root_outputs(ours[0]) != root_outputs(theirs[0]):
        detail.append("pipeline outputs differ")
    if ours[0]["root"].get("inputDefinitions") != theirs[0]["root"].get("inputDefinitions"):
        detail.append("pipeline params differ")
    return Outcome(path.stem, "differs" if detail else "equivalent", detail)


def _shown(diag, work: Path) -> str:
    return diag.format().replace(str(work) + "/", "")


def files() -> list[Path]:
    return sorted(CORPUS.glob("*.py"))


def survey(paths: list[Path]) -> list[Outcome]:
    found = []
    for path in paths:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                found.append(outcome(path, Path(tmp)))
            except Exception as exc:  # noqa: BLE001 - a survey: report and go on
                found.append(Outcome(path.stem, "kfp-fails", [f"{type(exc).__name__}: {str(exc)[:300]}"]))
    return found


if __name__ == "__main__":  # `corpus.py [FOLDER] [NAME...]`: the table for docs/migrating.md
    sys.path.insert(0, str(HERE.parent))
    args = sys.argv[1:]
    folder = Path(args.pop(0)) if args and Path(args[0]).is_dir() else CORPUS
    paths = [p for p in sorted(folder.rglob("*.py")) if p.name != "__init__.py" and "failing" not in p.parts
             and (not args or p.stem in args)]
    results = survey(paths)
    for got in results:
        print(f"{got.name}: {got.result}")
        for line in got.detail:
            print("   ", line[:600])
    counts = {}
    for got in results:
        counts[got.result] = counts.get(got.result, 0) + 1
    print("total", len(results), counts)
