"""The last step of an import: the files must pass kfyaml's own checks, or nothing is written.

KFP's compiler lets through some pipelines that kfyaml refuses: a real bug
that fails only when the run gets there (comparing an int with `'1'`), or
something kfyaml cannot express yet (reading a conditional step's gathered
output, a list of lists of artifacts). Either way, a written file that does
not compile would leave the user with YAML to fix by hand and no way back to
the Python. So the import compiles what it would write, in a scratch folder,
and each error becomes a KY602 at the task in the IR it came from, quoting
kfyaml's reason; the caller then writes nothing.
"""

from __future__ import annotations

import os
import tempfile

from .. import api
from ..diagnostics import Severity
from ..load import load_bytes
from .read import Problems


def check(files: dict[str, str], places: dict[tuple[str, str], tuple], problems: Problems, main: str) -> None:
    """Add a problem for every error kfyaml reports on `files` (relative path -> text)."""
    with tempfile.TemporaryDirectory(prefix="kfyaml-import-") as folder:
        for rel, text in files.items():
            path = os.path.join(folder, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        result = api.check_file(os.path.join(folder, main))
        errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        for diag in errors:
            rel = os.path.relpath(os.path.join(folder, diag.file), folder)  # given absolute, shown as it was given
            section, step = _place(files.get(rel, ""), diag.line)
            where = places.get((rel, step), (0, "root")) if step else \
                (0, "root", "dag", "outputs") if section == "outputs" else (0, "root")
            what = f'the step "{step}" ({rel}:{diag.line}:{diag.col})' if step else f"{rel}:{diag.line}:{diag.col}"
            problems.add(where, f"kfyaml would refuse what this imports to: {what}: {diag.message} [{diag.code}]. "
                                "kfyaml writes nothing it cannot compile; where KFP would fail on it too when the "
                                "run gets there, fix the pipeline in Python")


def _place(text: str, line: int) -> tuple[str | None, str | None]:
    """The top-level key `line` is under, and (under `steps:` or `finally:`) the id of the innermost step
    whose key is written at or before it: steps are written in order."""
    loaded = load_bytes(text.encode(), "imported.yaml")
    if loaded.document is None:
        return None, None
    keys = loaded.document.key_positions.items()
    sections = sorted((key_line, path[0]) for path, (key_line, _) in keys if len(path) == 1 and key_line <= line)
    section = sections[-1][1] if sections else None
    if section not in ("steps", "finally"):
        return section, None
    best: tuple[int, str] | None = None
    for path, (key_line, _) in keys:
        if len(path) >= 2 and path[-2] in ("steps", "finally") and isinstance(path[-1], str) and key_line <= line:
            if best is None or key_line >= best[0]:
                best = (key_line, path[-1])
    return section, best[1] if best else None
