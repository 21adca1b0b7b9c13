"""Progress a step reports while it runs: `kfyaml:progress {JSON object}` lines in its output.

Any step may print them (flushed, one per line); `stdlib/train_torch_ddp`
prints one per epoch: `kfyaml:progress {"epoch": 3, "epochs": 10, "loss": 0.41,
"rows_per_second": 5200.0}`. `kfyaml run` follows the step's log while the
process runs, shows the latest in its live view, and keeps it in the step's
record (run.json, so `kfyaml ui` shows it). A line that is not a JSON object
after the prefix is left as ordinary output.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

PREFIX = "kfyaml:progress "
INTERVAL = 0.25  # seconds between two reads of the log
MAX_LINE = 4096  # a progress line longer than this is output, not progress


def parse(line: str) -> dict | None:
    if not line.startswith(PREFIX) or len(line) > MAX_LINE:
        return None
    try:
        value = json.loads(line[len(PREFIX):])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def text(progress: dict) -> str:
    """As the live view shows it: `epoch 3/10 · loss 0.412 · 5,200 rows/s`."""
    parts = []
    if "epoch" in progress:
        parts.append(f"epoch {progress['epoch']}" + (f"/{progress['epochs']}" if "epochs" in progress else ""))
    if isinstance(progress.get("loss"), int | float):
        parts.append(f"loss {progress['loss']:.4g}")
    if isinstance(progress.get("rows_per_second"), int | float):
        parts.append(f"{progress['rows_per_second']:,.0f} rows/s")
    others = [f"{k} {v}" for k, v in progress.items() if k not in ("epoch", "epochs", "loss", "rows_per_second")]
    return " · ".join(parts + others[:3])


class Follower:
    """Reads what a step appends to its log from `offset` on, and reports each progress line."""

    def __init__(self, path: str, offset: int, on_progress: Callable[[dict], None]):
        self.path, self.offset, self.on_progress = path, offset, on_progress
        self.pending = ""
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="kfyaml-progress")
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        self._read()  # what came after the last read

    def _loop(self) -> None:
        while not self.stopped.wait(INTERVAL):
            self._read()

    def _read(self) -> None:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read(1024 * 1024)
        except OSError:
            return
        self.offset += len(chunk)
        lines = (self.pending + chunk.decode("utf-8", "replace")).split("\n")
        self.pending = lines.pop()[-MAX_LINE:]
        for line in lines:
            seen = parse(line.rstrip("\r"))
            if seen is not None:
                self.on_progress(seen)
