"""Every step's record, from pending to its end, named as the user wrote it.

The engine walks IR, whose task names are KFP's: wrapper DAGs
(`exit-handler-1`, `for-loop-2[0]`, `condition-3`) around the user's steps.
A record's `label` is the step as the pipeline file names it: wrappers left
out, a loop iteration shown by its item (`train[algorithm=svm]`, `score[0.5]`),
step ids from `labels` (task name -> step id, from the compiler). Steps are
listed as pending when their DAG starts; when a DAG is skipped or cancelled,
so is every step inside it, with the reason.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from kfyaml.ir.names import is_wrapper
from kfyaml.ir.values import text

from .records import StepRecord

_ITERATION = re.compile(r"^(.*)\[(\d+)\]$")


def item_text(item: Any) -> str:
    """A loop item as a label shows it: a matrix cell's values, or the item itself when short."""
    if isinstance(item, dict):
        return ", ".join(f"{k}={text(v)}" for k, v in item.items())
    shown = text(item)
    return shown if len(shown) <= 24 else shown[:21] + "..."


class Tracker:
    def __init__(self, components: dict, labels: dict[str, str], on_event: Callable[[StepRecord], None]):
        self.components = components
        self.labels = labels
        self.on_event = on_event
        self.records: list[StepRecord] = []
        self.by_path: dict[str, StepRecord] = {}
        self.items: dict[str, Any] = {}  # "exit-handler-1/for-loop-2[0]" -> that iteration's item
        self.lock = threading.Lock()

    def chain(self, path: tuple, name: str) -> list[str]:
        """The step ids around a task and its own, as the pipeline file names them (wrappers left out)."""
        bases = [(_ITERATION.match(c).group(1) if _ITERATION.match(c) else c) for c in path + (name,)]
        return [self.labels.get(base, base) for base in bases if not is_wrapper(base)]

    def label(self, path: tuple, name: str) -> str:
        parts: list[str] = []
        carried = None  # a leaf loop's item, shown on the step inside its wrapper
        for i, component in enumerate(path + (name,)):
            match = _ITERATION.match(component)
            base = match.group(1) if match else component
            item = self.items.get("/".join(path[:i] + (component,))) if match else None
            if is_wrapper(base):
                carried = item_text(item) if match else carried
                continue
            shown = self.labels.get(base, base)
            suffix = item_text(item) if match else carried
            parts.append(f"{shown}[{suffix}]" if suffix is not None else shown)
            carried = None
        return "/".join(parts) or name

    def record(self, path: tuple, name: str, task: dict) -> StepRecord:
        key = "/".join(path + (name,))
        with self.lock:
            record = self.by_path.get(key)
            if record is None:
                record = StepRecord(key, task.get("taskInfo", {}).get("name", name), label=self.label(path, name),
                                    chain=self.chain(path, name))
                self.by_path[key] = record
                self.records.append(record)
            return record

    def pending(self, dag: dict, path: tuple, loops: bool = False) -> None:
        """List a DAG's steps as pending, and those of the DAGs inside it (loops' only with `loops`)."""
        for name, task in dag["dag"]["tasks"].items():
            component = self.components[task["componentRef"]["name"]]
            if "dag" not in component:
                self.on_event(self.record(path, name, task))
            elif loops or "parameterIterator" not in task:
                self.pending(component, path + (name,), loops)

    def end_unstarted(self, path: tuple, name: str, task: dict, state: str, reason: str | None) -> None:
        """A task that will not run (skipped, cancelled): it, or every step listed inside it."""
        key = "/".join(path + (name,))
        component = self.components[task["componentRef"]["name"]]
        if "dag" in component:  # a loop's steps were not listed yet: they are now, once each
            self.pending(component, path + (name,), loops=True)
        with self.lock:
            inside = [r for r in self.records if r.path.startswith(key + "/") and r.state == "pending"]
        for record in inside or [self.record(path, name, task)]:
            record.state, record.reason = state, reason
            self.on_event(record)

    def failed(self, path: tuple, name: str, task: dict, error: str) -> StepRecord:
        record = self.record(path, name, task)
        record.state, record.error, record.finished = "failed", error, time.time()
        record.started = record.started or record.finished
        self.on_event(record)
        return record
