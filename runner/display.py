"""What `kfyaml run` shows while it runs, and after.

Steps are named as the pipeline file names them (`train[algorithm=svm]`,
`candidates[lr]/train`), from pending to done, skipped (with the reason) or
cancelled. On a terminal a live rich table, drawn by rich's own refresh a
few times a second (a step never waits for the screen); elsewhere (CI logs,
pipes) a line per state change. Everything goes to stderr, so `--json`
output on stdout stays machine-readable. At the end, a summary table fitted
to the terminal's width, and the outputs.
"""

from __future__ import annotations

import os
import shlex
import sys
import threading

from .progress_lines import text as progress_text
from .records import FAILED, Result, StepRecord

_MARK = {"pending": "·", "preparing": "…", "timed_out": "✗", "running": "…", "succeeded": "✓", "cached": "⟳", "failed": "✗", "skipped": "-",
         "upstream_failed": "-", "cancelled": "⊘"}
_WORDS = {"pending": "pending", "preparing": "preparing its environment", "timed_out": "TIMED OUT", "running": "running", "succeeded": "done", "cached": "cached", "failed": "FAILED",
          "skipped": "skipped", "upstream_failed": "skipped", "cancelled": "cancelled"}
_STYLE = {"succeeded": "green", "cached": "cyan", "failed": "bold red", "timed_out": "bold red", "preparing": "bold", "cancelled": "yellow", "running": "bold"}


def words(record: StepRecord) -> str:
    text = _WORDS.get(record.state, record.state)
    if record.reason:
        text += f" ({record.reason})"
    if record.attempts > 1 and record.state in ("succeeded", "failed", "timed_out"):
        text += f" after {record.attempts} attempts"
    if record.state == "running" and record.progress:
        text += f" · {progress_text(record.progress)}"
    return text


def _time(record: StepRecord) -> str:
    return f"{record.seconds:.1f}s" if record.started and record.state not in ("pending",) else ""


def _console(stream, color: bool):
    from rich.console import Console

    return Console(file=stream, no_color=not color, highlight=False, color_system="auto" if color else None)


class Progress:
    def __init__(self, stream=None, live: bool | None = None, color: bool = True, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.lock = threading.Lock()
        self.records: dict[str, StepRecord] = {}
        self.live = None
        interactive = live if live is not None else getattr(self.stream, "isatty", lambda: False)()
        if interactive and not quiet:
            from rich.live import Live

            self.live = Live(console=_console(self.stream, color), refresh_per_second=4, transient=False,
                             get_renderable=self.table)
            self.live.start()

    def table(self):
        """The live view: the steps that fit the screen (running and failed first), and a count of the rest."""
        from rich.table import Table
        from rich.text import Text

        records = list(self.records.values())
        room = max(5, (self.live.console.height if self.live is not None else 50) - 3)
        shown = records
        if len(records) > room:
            rank = {"running": 0, "preparing": 0, "failed": 1, "timed_out": 1, "pending": 3}
            order = sorted(range(len(records)), key=lambda i: (rank.get(records[i].state, 2), -i))[: room - 1]
            shown = [records[i] for i in sorted(order)]
        table = Table(box=None, pad_edge=False, show_header=True, expand=False)
        table.add_column("")
        table.add_column("step", overflow="fold")
        table.add_column("state", overflow="fold")
        table.add_column("time", justify="right", no_wrap=True)
        for record in shown:
            table.add_row(_MARK.get(record.state, "?"), Text(record.label), Text(words(record)), _time(record),
                          style=_STYLE.get(record.state))
        if len(shown) < len(records):
            kept = {id(r) for r in shown}
            hidden = [r.state for r in records if id(r) not in kept]
            counts = ", ".join(f"{hidden.count(s)} {_WORDS.get(s, s)}" for s in dict.fromkeys(hidden))
            table.add_row("", Text(f"… and {len(hidden)} more ({counts})"), "", "")
        return table

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()

    def event(self, record: StepRecord) -> None:
        """A step changed state. The live view picks it up at its next refresh; a pipe gets a line now."""
        with self.lock:
            self.records[record.path] = record
            if self.live is not None or self.quiet or record.state == "pending":
                return
            timing = f" {record.seconds:.1f}s" if record.state in ("succeeded", "failed", "timed_out", "cached") else ""
            print(f"{_MARK.get(record.state, '?')} {record.label:<40} {words(record)}{timing}",
                  file=self.stream, flush=True)

    def note(self, text: str) -> None:
        with self.lock:
            if self.live is not None:
                self.live.console.print(f"note: {text}", markup=False)
                return
            print(f"note: {text}", file=self.stream, flush=True)


def _shown_path(path, base) -> str:
    """A path relative to `base` when it is inside it."""
    relative = os.path.relpath(path, base)
    return relative if not relative.startswith("..") else str(path)


def summary(records: list[StepRecord], result: Result, run_dir, stream=None, color: bool = True,
            quiet: bool = False, console=None) -> None:
    """The end of a run: each step's state, time and log (relative to the run's folder), then the outputs."""
    stream = stream or sys.stderr
    console = console or _console(stream, color)
    # The run's folder whole on one line at any width, so it can be copied (a table title would wrap it).
    print(f"run {result.state}: {_shown_path(run_dir, os.getcwd())}", file=stream)
    if not quiet:
        from rich.table import Table
        from rich.text import Text

        with_logs = console.width >= 100  # on a narrow terminal the failures below still name their logs
        table = Table()
        table.add_column("step", overflow="fold")
        table.add_column("state", overflow="fold")
        table.add_column("time", justify="right", no_wrap=True)
        if with_logs:
            table.add_column("log", overflow="fold")
        for record in records:
            row = [Text(record.label), Text(words(record)), _time(record)]
            if with_logs:
                row.append(Text(_shown_path(record.log, run_dir) if record.log else ""))
            table.add_row(*row, style=_STYLE.get(record.state))
        console.print(table)
    failures(records, stream)
    if result.outputs["parameters"] or result.outputs["artifacts"]:
        print("outputs:", file=stream)
        for name, value in result.outputs["parameters"].items():
            print(f"  {name} = {value!r}", file=stream)
        for name, arts in result.outputs["artifacts"].items():
            print(f"  {name} = {', '.join(a['uri'] for a in arts)}", file=stream)


def failures(records: list[StepRecord], stream=None) -> None:
    """Name each failed step and its log, whatever the output format."""
    stream = stream or sys.stderr
    for record in records:
        if record.state in ("failed", "timed_out"):
            print(f"step {record.label} failed: {record.error}" + (f"; log: {record.log}" if record.log else ""),
                  file=stream)
            for line in log_tail(record.log):
                print(f"  | {line}", file=stream)
    for record in records:
        if record.reenter:
            print(reentry(record), file=stream)


def reentry(record: StepRecord) -> str:
    """How to go back into a step that was kept (`--pause-on-error`, `debug_pause:`; runner/reenter.py)."""
    script = shlex.quote(_shown_path(record.reenter, os.getcwd()))
    why = "failed" if record.state in FAILED else "paused after it ran (debug_pause)"
    text = (f"step {record.label} {why}; its folder is kept. To stand where it ran:\n"
            f"  sh {script}        a shell in its working folder, with its environment\n"
            f"  sh {script} run    its command again\n"
            f"  sh {script} debug  a Python step's command under pdb, stopping where it raises")
    return text


def log_tail(path: str | None, lines: int = 20) -> list[str]:
    """The last lines of a step's log: usually the cause of its failure."""
    if not path:
        return []
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return [line.rstrip("\n") for line in fh.readlines()[-lines:]]
    except OSError:
        return []


def as_json(records: list[StepRecord], result: Result, run_dir) -> dict:
    return {
        "state": result.state,
        "run_dir": str(run_dir),
        "outputs": {"parameters": result.outputs["parameters"],
                    "artifacts": {n: [a["uri"] for a in arts] for n, arts in result.outputs["artifacts"].items()}},
        # Keyed by the step as the pipeline names it (`candidates[lr]/train`); `path` is its place in the IR.
        "steps": {key: {"step": r.label, "path": r.path, "name": r.name, "state": r.state, "reason": r.reason,
                        "seconds": round(r.seconds, 3), "attempts": r.attempts, "log": r.log, "error": r.error,
                        "outputs": r.outputs, "started": r.started, "finished": r.finished, "reenter": r.reenter}
                  for key, r in _keyed(records)},
    }


def _keyed(records: list[StepRecord]):
    """Each record with its key: its label, made unique (a loop over repeated items) with #2, #3..."""
    seen: dict[str, int] = {}
    for record in records:
        count = seen[record.label] = seen.get(record.label, 0) + 1
        yield (record.label if count == 1 else f"{record.label}#{count}"), record
