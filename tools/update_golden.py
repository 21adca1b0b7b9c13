"""Regenerate the golden IR files, and the `kfyaml graph` pictures of the examples:
`python tools/update_golden.py`.

Review the diff before committing it: a golden file changes only when the
compiler's output was meant to change.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


def sources() -> list[Path]:
    return (_pipelines(ROOT / "examples") + sorted((ROOT / "examples" / "pipelines").glob("*.yaml"))
            + sorted((ROOT / "tests" / "fixtures" / "ok").glob("*.yaml")))


def _pipelines(folder: Path) -> list[Path]:
    """The pipelines in a folder; `*.test.yaml` files are their tests (`kfyaml test`)."""
    return sorted(p for p in folder.glob("*.yaml") if not p.name.endswith(".test.yaml"))


def golden_path(source: Path) -> Path:
    prefix = {"examples": "", "pipelines": "pipelines-"}.get(source.parent.name, "fixture-")
    return GOLDEN / f"{prefix}{source.stem}.ir.yaml"


GRAPHS = GOLDEN / "graph"
REPORT_RUN = ROOT / "tests" / "data" / "ui_run"


def reports() -> dict[str, str]:
    """`kfyaml report` of the hand-written run in tests/data/ui_run, as HTML and Markdown, with times shown
    in UTC (the caller sets TZ): golden file name -> text."""
    from kfyaml.ui import report
    from kfyaml.ui.store import Store

    store = Store(REPORT_RUN)
    run_id = store.run_ids()[0]
    run = store.run(run_id)
    return {"report.html": report.html(run, store.folder(run_id)), "report.md": report.markdown(run)}
GRAPH_SUFFIX = {"mermaid": ".mmd", "dot": ".dot", "ascii": ".txt"}


def graph(source: Path, form: str) -> str:
    from kfyaml.compiler import api
    from kfyaml.compiler.graph_view import RENDER
    from kfyaml.compiler.load import load_file

    return RENDER[form](api.check_file(str(source)).pipeline, load_file(str(source)).document)


def main() -> int:
    from kfyaml.compiler import api

    GRAPHS.mkdir(parents=True, exist_ok=True)
    for source in _pipelines(ROOT / "examples"):
        for form, suffix in GRAPH_SUFFIX.items():
            (GRAPHS / f"{source.stem}{suffix}").write_text(graph(source, form), encoding="utf-8")

    import os
    import time

    os.environ["TZ"] = "UTC"
    time.tzset()
    for name, text in reports().items():
        (GOLDEN / name).write_text(text, encoding="utf-8")
        print((GOLDEN / name).relative_to(ROOT))

    GOLDEN.mkdir(exist_ok=True)
    for source in sources():
        result = api.compile_file(str(source))
        if not result.ok:
            print(f"{source}: does not compile", file=sys.stderr)
            return 1
        golden_path(source).write_text(result.ir_text(), encoding="utf-8")
        print(golden_path(source).relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
