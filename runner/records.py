"""What a run reports: a record per step, the run's result, and the two kinds of failure.

`RunError` is a problem with the run's input or a step's wiring that the
user can fix (a param, an importer URI, a step's output file); a step
fails with it. `InternalError` is a bug in kfyaml itself: it is carried to
the end of the run and reported as such, with a request to report it, never
passed off as the step's failure.
"""

from __future__ import annotations

import dataclasses
import time

FAILED = ("failed", "upstream_failed")
DONE_OK = ("succeeded", "cached")


class RunError(Exception):
    """A problem with the run's input (a param, an importer URI), said in the user's terms."""


@dataclasses.dataclass
class StepRecord:
    path: str
    name: str
    state: str = "pending"
    started: float | None = None
    finished: float | None = None
    log: str | None = None
    attempts: int = 0
    error: str | None = None
    outputs: dict = dataclasses.field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return (self.finished or time.time()) - self.started if self.started else 0.0


@dataclasses.dataclass
class Result:
    state: str
    outputs: dict = dataclasses.field(default_factory=lambda: {"parameters": {}, "artifacts": {}})
    error: str | None = None
    internal_error: str | None = None  # a kfyaml bug met during the run (the run goes on without that task)
