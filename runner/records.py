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

FAILED = ("failed", "timed_out", "upstream_failed", "cancelled")
DONE_OK = ("succeeded", "cached")


class RunError(Exception):
    """A problem with the run's input (a param, an importer URI), said in the user's terms."""


@dataclasses.dataclass
class StepRecord:
    path: str              # the task's place in the IR: "exit-handler-1/for-loop-2[0]/train"
    name: str              # its taskInfo name
    label: str = ""        # as the pipeline file names it: "train[algorithm=svm]"
    state: str = "pending"  # pending, running, succeeded, cached, failed, skipped, upstream_failed, cancelled
    reason: str | None = None  # why it was skipped: "if: false", "upstream failed: train"
    started: float | None = None
    finished: float | None = None
    log: str | None = None
    attempts: int = 0
    error: str | None = None
    outputs: dict = dataclasses.field(default_factory=dict)
    inputs: dict = dataclasses.field(default_factory=dict)  # what the step received (values, artifact paths)
    artifacts: dict = dataclasses.field(default_factory=dict)  # its output artifacts' paths, by output name
    artifact_info: dict = dataclasses.field(default_factory=dict)  # by output name: [{type, metadata}] (KFP metrics)
    chain: list = dataclasses.field(default_factory=list)  # the step ids from the pipeline's top to this step
    progress: dict | None = None  # the last `kfyaml:progress` line it printed (runner/progress_lines.py)
    reenter: str | None = None  # the script that goes back into it, when it was kept (runner/reenter.py)

    def show(self, progress: dict, on_event) -> None:
        self.progress = progress
        on_event(self)

    def finish(self, outputs: dict) -> None:
        """Keep what a step produced: values, artifact paths, and each artifact's type and metadata."""
        self.outputs = outputs["parameters"]
        self.artifacts = {name: [a["uri"] for a in arts] for name, arts in outputs["artifacts"].items()}
        self.artifact_info = {name: [{"type": a.get("schema_title", ""), "metadata": a.get("metadata", {})}
                                     for a in arts] for name, arts in outputs["artifacts"].items()}

    @property
    def seconds(self) -> float:
        return (self.finished or time.time()) - self.started if self.started else 0.0


@dataclasses.dataclass
class Result:
    state: str
    outputs: dict = dataclasses.field(default_factory=lambda: {"parameters": {}, "artifacts": {}})
    error: str | None = None
    failed_step: str | None = None  # the label of the (first) step that failed inside it
    internal_error: str | None = None  # a kfyaml bug met during the run (the run goes on without that task)
