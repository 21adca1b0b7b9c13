"""`kfyaml graph` (the DAG as Mermaid, DOT or text) and `kfyaml lsp` (the language server)."""

from __future__ import annotations

import sys

from .. import api
from . import output
from .check import write_output
from .output import Style


def cmd_graph(args, style: Style) -> int:
    from ..graph_view import RENDER
    from ..load import load_file

    result = api.check_file(args.file)
    output.diagnostics(result, sys.stderr, style)
    if result.pipeline is None or not result.ok:
        print(f"{result.file}: fix the errors to draw the pipeline", file=sys.stderr)
        return 1
    doc = load_file(args.file).document
    text = RENDER[args.format](result.pipeline, doc)
    write_output(args.output, text)
    return 0


def cmd_lsp(args, style: Style) -> int:
    from .execute import require

    require("lsp", "kfyaml lsp")
    from ..lsp.server import serve

    serve()
    return 0
