"""Where a local run keeps its files: one new folder per run under `WORKDIR/runs`."""

from __future__ import annotations

from pathlib import Path

from .records import RunError


def new_run_dir(runs: Path, name: str) -> Path:
    """A folder no other run has: two runs in one second of one process (`kfyaml test`'s cases) get -2, -3..."""
    runs.mkdir(parents=True, exist_ok=True)
    ignore = runs.parent / ".gitignore"  # the work folder is never committed, wherever it is
    if not ignore.exists():
        try:
            ignore.write_text("# kfyaml's runs, logs and cache: not for version control\n*\n", encoding="utf-8")
        except OSError:
            pass  # a read-only work folder still runs; git just sees it
    for n in range(1, 10_000):
        candidate = runs / (name if n == 1 else f"{name}-{n}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise RunError(f"no free run folder under {runs}")
