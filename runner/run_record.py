"""What a local run leaves for people to look at: `run.json` and `summary.json` in its folder.

`kfyaml ui` and `kfyaml report` read these files, never the engine, so a
page can follow a run that another process is running, and a run folder
copied off a CI machine still shows. `summary.json` is small (what the
runs list shows) so that listing 10,000 runs reads only one page of them;
`run.json` has every step. Both are replaced whole (written beside, then
renamed), never half-written, at most every `INTERVAL` seconds while
steps change and once more at the end.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from pathlib import Path

FORMAT = 1
RUN_FILE = "run.json"
SUMMARY_FILE = "summary.json"
INTERVAL = 0.1  # seconds between two writes while steps change: a live page sees a change within this
ENDED = ("succeeded", "failed", "cancelled")


class Recorder:
    """Keeps `run.json` and `summary.json` current for one run; `records` gives the steps as they are now."""

    def __init__(self, run_dir: Path, header: dict, records):
        self.run_dir = Path(run_dir)
        self.header = header  # pipeline, file, params, graph
        self.records = records
        self.started = time.time()
        self.state, self.finished, self.error = "running", None, None
        self.changed = threading.Event()
        self.stopped = False
        self.lock = threading.Lock()
        self.write()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="kfyaml-run-record")
        self.thread.start()

    def event(self, record) -> None:
        self.changed.set()

    def finish(self, state: str, error: str | None = None) -> None:
        self.stopped = True
        self.changed.set()
        self.thread.join(timeout=5)
        self.state, self.error, self.finished = state, error, time.time()
        self.write()

    def _loop(self) -> None:
        while not self.stopped:
            self.changed.wait()
            self.changed.clear()
            if self.stopped:
                return
            self.write()
            time.sleep(INTERVAL)

    def write(self) -> None:
        for _ in range(3):  # a step's thread may change its record while it is copied: copy again
            try:
                return self._write()
            except RuntimeError:
                continue

    def _write(self) -> None:
        with self.lock:
            steps = [step_data(record, self.run_dir) for record in list(self.records())]
            summary = {"format": FORMAT, "id": self.run_dir.name, "pipeline": self.header.get("pipeline"),
                       "file": self.header.get("file"), "params": self.header.get("params", {}),
                       "started": self.started, "finished": self.finished, "state": self.state, "error": self.error,
                       "pid": os.getpid(), "counts": _counts(steps)}
            try:
                _replace(self.run_dir / RUN_FILE, {**summary, "graph": self.header.get("graph"), "steps": steps})
                _replace(self.run_dir / SUMMARY_FILE, summary)
            except OSError:
                pass  # the run goes on; the page shows what was last written


def step_data(record, run_dir: Path) -> dict:
    """A step record as JSON data, its log and artifacts relative to the run folder where they are inside it."""
    data = dataclasses.asdict(record)
    data["log"] = _relative(record.log, run_dir)
    data["artifacts"] = {name: [_relative(uri, run_dir) for uri in uris] for name, uris in record.artifacts.items()}
    data["retries"] = max(0, record.attempts - 1)
    return data


def _relative(path: str | None, run_dir: Path) -> str | None:
    if not path:
        return path
    try:
        return Path(path).resolve().relative_to(run_dir.resolve()).as_posix()
    except ValueError:
        return path  # an importer's file elsewhere, or a remote URI: shown, never served


def _counts(steps: list[dict]) -> dict:
    counts: dict[str, int] = {}
    for step in steps:
        counts[step["state"]] = counts.get(step["state"], 0) + 1
    return dict(sorted(counts.items()))


def _replace(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(data, default=str, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
