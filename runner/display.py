"""What `kfyaml run` shows while it runs, and after.

On a terminal, a live rich table of every step's state and duration,
redrawn as steps start and finish; elsewhere (CI logs, pipes) a line per state
change. Everything goes to stderr, so `--json` output on stdout stays
machine-readable. At the end, a summary table and the outputs.
"""

from __future__ import annotations

import sys
import threading

from .records import Result, StepRecord

_MARK = {"running": "…", "succeeded": "✓", "cached": "⟳", "failed": "✗", "skipped": "-", "upstream_failed": "-"}
_WORDS = {"running": "running", "succeeded": "done", "cached": "cached", "failed": "FAILED", "skipped": "skipped (condition false)",
          "upstream_failed": "skipped (an upstream step failed)"}


class Progress:
    def __init__(self, stream=None, live: bool | None = None):
        self.stream = stream or sys.stderr
        self.lock = threading.Lock()
        self.records: dict[str, StepRecord] = {}
        self.live = None
        if live if live is not None else getattr(self.stream, "isatty", lambda: False)():
            from rich.console import Console
            from rich.live import Live

            self.live = Live(self.table(), console=Console(file=self.stream), refresh_per_second=4,
                             get_renderable=self.table)
            self.live.start()

    def table(self):
        """The live view: each step's state and time so far."""
        from rich.table import Table

        table = Table(box=None, pad_edge=False)
        for column in ("", "step", "state", "time"):
            table.add_column(column)
        for record in list(self.records.values()):
            table.add_row(_MARK.get(record.state, "?"), record.path, _WORDS.get(record.state, record.state),
                          f"{record.seconds:.1f}s" if record.started else "")
        return table

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()

    def event(self, record: StepRecord) -> None:
        with self.lock:
            self.records[record.path] = record
            if self.live is not None:
                self.live.refresh()
                return
            timing = f" {record.seconds:.1f}s" if record.state in ("succeeded", "failed", "cached") else ""
            retry = f" after {record.attempts} attempts" if record.attempts > 1 else ""
            print(f"{_MARK.get(record.state, '?')} {record.path:<40} {_WORDS.get(record.state, record.state)}{timing}{retry}",
                  file=self.stream, flush=True)

    def note(self, text: str) -> None:
        with self.lock:
            if self.live is not None:
                self.live.console.print(f"note: {text}")
                return
            print(f"note: {text}", file=self.stream, flush=True)


def summary(records: list[StepRecord], result: Result, run_dir, stream=None) -> None:
    stream = stream or sys.stderr
    rows = [(r.path, _WORDS.get(r.state, r.state), f"{r.seconds:.1f}s" if r.started else "", r.log or "")
            for r in records if r.state != "running"]
    try:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"run {result.state}: {run_dir}")
        for column in ("step", "state", "time", "log"):
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        Console(file=stream, width=160).print(table)
    except ImportError:
        print(f"run {result.state}: {run_dir}", file=stream)
        for row in rows:
            print("  " + "  ".join(row), file=stream)
    failures(records, stream)
    if result.outputs["parameters"] or result.outputs["artifacts"]:
        print("outputs:", file=stream)
        for name, value in result.outputs["parameters"].items():
            print(f"  {name} = {value!r}", file=stream)
        for name, arts in result.outputs["artifacts"].items():
            print(f"  {name} = {', '.join(a['uri'] for a in arts)}", file=stream)


def failures(records: list[StepRecord], stream=None) -> None:
    """Name each failed step and its log, whatever the output format."""
    for record in records:
        if record.state == "failed":
            print(f"step {record.path} failed: {record.error}; log: {record.log}", file=stream or sys.stderr)


def as_json(records: list[StepRecord], result: Result, run_dir) -> dict:
    return {
        "state": result.state,
        "run_dir": str(run_dir),
        "outputs": {"parameters": result.outputs["parameters"],
                    "artifacts": {n: [a["uri"] for a in arts] for n, arts in result.outputs["artifacts"].items()}},
        "steps": {r.path: {"name": r.name, "state": r.state, "seconds": round(r.seconds, 3), "attempts": r.attempts,
                           "log": r.log, "error": r.error, "outputs": r.outputs,
                           "started": r.started, "finished": r.finished} for r in records},
    }
