"""Where a local run keeps its files: one new folder per run under `WORKDIR/runs`, logs named for people."""

from __future__ import annotations

import re
import threading
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


class LogNames:
    """Each step's log named as the pipeline names the step (`candidates[lr]__train.log`,
    `sweep[degree=2,_model=quadratic].log`), never by IR names; a repeated name gets -2, -3..."""

    def __init__(self):
        self.taken: set[str] = set()
        self.lock = threading.Lock()

    def name(self, label: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_.=,\[\]-]+", "_", label.replace("/", "__")).strip(".") or "step"
        with self.lock:
            name, n = base, 2
            while name in self.taken:
                name, n = f"{base}-{n}", n + 1
            self.taken.add(name)
        return f"{name}.log"
