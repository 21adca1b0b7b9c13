"""What a run's record (run.json, for `kfyaml ui` and `kfyaml report`) says besides its steps."""

from __future__ import annotations

import os

from .. import api


def record_header(result: api.Result, file: str, bound: dict, case: str | None = None) -> dict:
    """The pipeline (and, for `kfyaml test`, the case), its params and its DAG as `kfyaml graph` sees it."""
    from ..graph_view import as_data
    from ..load import load_bytes

    doc = load_bytes("\n".join(result.lines).encode(), result.file).document
    graph = as_data(result.pipeline, doc) if result.pipeline is not None and doc is not None else {"nodes": [], "edges": []}
    name = (result.pipeline.display_name or result.pipeline.name) if result.pipeline else result.file
    return {"pipeline": f"{name} (test: {case})" if case else name, "file": os.path.abspath(file) if file != "-" else "-",
            "params": bound, "graph": graph}
