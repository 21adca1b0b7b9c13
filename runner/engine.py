"""Run compiled KFP IR on this machine: the embedded default backend.

The IR is interpreted as a KFP backend would: every DAG (the root, groups,
loops, condition branches, the exit handler) schedules its tasks as their
`dependentTasks` finish, independent tasks run at the same time (up to
`max_workers` steps, and never more GPU steps at once than there are GPUs),
conditions are evaluated by a real CEL implementation exactly as written,
loops honour their parallelism limit and gather their outputs into lists,
`OneOf` outputs take the branch that ran, a failure skips what depends on it
while exit handlers still run, and retries follow the task's retry policy.

Only the IR and the IR vocabulary (`kfyaml.ir`) are read here, never the
compiler's model: IR that `kfp` itself wrote runs the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

from kfyaml.ir.names import is_wrapper
from kfyaml.ir.placeholders import RUNTIME

from . import bindings, environments, launch, local_platform
from .cache import Cache
from .conditions import Conditions
from .records import FAILED, Result, RunError, StepRecord
from .run_folders import LogNames, new_run_dir
from .steps import Steps
from .tracker import Tracker

__all__ = ["Run", "Result", "RunError", "StepRecord"]


class Run(Steps):
    """One run of a pipeline: `params` are bound already (see `params.bind`)."""

    def __init__(self, spec: dict, params: dict, workdir: Path, use_cache: bool = True, max_workers: int | None = None,
                 on_event: Callable[[StepRecord], None] | None = None, note: Callable[[str], None] | None = None,
                 labels: dict[str, str] | None = None, platform: dict | None = None, base_dir: Path | None = None,
                 python: str | None = None, local: local_platform.Local | None = None, mocks: dict | None = None,
                 pause_on_error: bool = False):
        self.spec = spec
        self.components = spec["components"]
        self.executors = spec["deploymentSpec"]["executors"]
        self.params = params
        self.mocks = mocks or {}  # IR task name or path -> {"outputs": {...}}: mocked steps (kfyaml test, --only)
        # kfp-kubernetes settings by executor label (timeouts, secrets...), applied here as far as they can be
        self.platform = ((platform or {}).get("platforms", {}).get("kubernetes", {})
                         .get("deploymentSpec", {}).get("executors", {}))
        # `pipeline_config:`: a workspace is a folder of the run here; deadlines and TTLs are the cluster's
        self.run_config = (platform or {}).get("platforms", {}).get("kubernetes", {}).get("pipelineConfig", {})
        # One rule for relative paths: the pipeline file's folder (steps start there; importers read from it).
        self.base_dir = Path(base_dir or ".").resolve()
        self.local = local or local_platform.Local(environ=dict(os.environ))
        self.workdir = Path(workdir).resolve()
        self.run_dir = new_run_dir(self.workdir / "runs", f"{spec['pipelineInfo']['name']}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
        self.cache = Cache(self.workdir / "cache")
        self.use_cache = use_cache
        self.on_event = on_event or (lambda record: None)
        self.note = note or (lambda text: None)
        self.tracker = Tracker(self.components, labels or {}, self.on_event)
        self.lock = threading.Lock()
        self.noted: set[str] = set()
        self.log_names = LogNames()
        self.conditions = Conditions()
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.job = {RUNTIME["pipeline.job_name"]: self.run_dir.name, RUNTIME["pipeline.job_id"]: str(uuid.uuid4()),
                    RUNTIME["pipeline.job_resource_name"]: self.run_dir.name, RUNTIME["pipeline.create_time"]: started,
                    RUNTIME["pipeline.schedule_time"]: started,
                    RUNTIME["pipeline.workspace_path"]: str(self.run_dir / "workspace")}
        self.internal_errors: list[str] = []
        # Threads per DAG (and loop): a queued step holds a thread and its log open, so 1,500 steps must not
        # mean 1,500 of each; a few more than the workers keep them busy (groups wait in their own pools).
        self.threads = 2 * (max_workers or os.cpu_count() or 1) + 4
        gpus = _gpu_count()
        self.slots = launch.Slots(threading.BoundedSemaphore(max_workers or os.cpu_count() or 1), gpus,
                                  threading.BoundedSemaphore(max(1, gpus)), self._note_once,
                                  environments.probe(python), pause_on_error)

    @property
    def gpus(self) -> int:
        return self.slots.gpus

    @property
    def records(self) -> list[StepRecord]:
        return self.tracker.records

    def execute(self) -> Result:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if "workspace" in self.run_config:
            (self.run_dir / "workspace").mkdir(exist_ok=True)
        unenforced = [k for k in ("activeDeadlineSeconds", "resourceTtlOnCompletion", "resourceTtlOnSuccess",
                                  "resourceTtlOnFailure") if k in self.run_config]
        if unenforced:
            self.note("pipeline_config's timeout and ttl_* settings apply on a cluster; kfyaml run does not enforce them")
        self.tracker.pending(self.spec["root"], ())
        state, outputs, _ = self.run_dag(self.spec["root"], {"parameters": self.params, "artifacts": {}}, ())
        if self.slots.cancelled.is_set():
            state = "cancelled"
        internal = "; ".join(self.internal_errors) or None
        return Result(state, outputs, internal_error=internal)

    def cancel(self) -> None:
        """Stop the run: no task starts any more, running steps are terminated (Ctrl-C)."""
        self.slots.cancel()

    # ---- DAGs --------------------------------------------------------------------------

    def run_dag(self, component: dict, inputs: dict, path: tuple) -> tuple[str, dict, dict]:
        tasks = component["dag"]["tasks"]
        results: dict[str, Result] = {}
        pending = set(tasks)
        futures = {}
        with ThreadPoolExecutor(max_workers=max(1, min(len(tasks), self.threads))) as pool:
            while pending or futures:
                decided = 0  # tasks settled in this pass without running: what waits on them may be ready now
                for name in sorted(pending):
                    deps = tasks[name].get("dependentTasks", [])
                    if any(d not in results for d in deps):
                        continue
                    pending.discard(name)
                    decided += 1
                    always = tasks[name].get("triggerPolicy", {}).get("strategy") == "ALL_UPSTREAM_TASKS_COMPLETED"
                    failed_deps = [d for d in deps if results[d].state in FAILED]
                    if self.slots.cancelled.is_set():
                        results[name] = self._skip(path, name, tasks[name], "cancelled", None)
                        continue
                    if not always and failed_deps:
                        first = results[failed_deps[0]]
                        cause = first.failed_step or self.tracker.label(path, failed_deps[0])
                        results[name] = self._skip(path, name, tasks[name], "upstream_failed", f"upstream failed: {cause}")
                        if is_wrapper(name):  # a condition or loop DAG has no name of its own: pass the cause on
                            results[name] = Result("upstream_failed", failed_step=cause)
                        continue
                    futures[pool.submit(self.run_task, name, tasks[name], inputs, results, path)] = name
                    decided -= 1
                if not futures:
                    if decided:
                        continue  # a skip may have made a later task (in name order) ready
                    break
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    results[futures.pop(future)] = future.result()
        failed = [r for r in results.values() if r.state in FAILED]
        return ("failed" if failed else "succeeded"), bindings.dag_outputs(component, results), results

    def _dag_result(self, state: str, outputs: dict, results: dict) -> Result:
        failed = next((r.failed_step for r in results.values() if r.state in FAILED and r.failed_step), None)
        return Result(state, outputs, failed_step=failed)

    def run_task(self, name: str, task: dict, inputs: dict, results: dict, path: tuple) -> Result:
        try:
            return self._task(name, task, inputs, results, path)
        except RunError as exc:  # the step's inputs or wiring: the step fails, the run goes on
            return self._failed(path, name, task, str(exc))
        except Exception as exc:  # a kfyaml bug: reported as one, never as the step's failure
            where = "/".join(path + (name,))
            self.internal_errors.append(f"{where}: {type(exc).__name__}: {exc}")
            with open(self.run_dir / "internal-error.txt", "a", encoding="utf-8") as fh:
                fh.write(traceback.format_exc())
            return self._failed(path, name, task, f"internal error in kfyaml run ({type(exc).__name__}: {exc})")

    def _task(self, name: str, task: dict, inputs: dict, results: dict, path: tuple) -> Result:
        component = self.components[task["componentRef"]["name"]]
        skip = self.mocks.get("/".join(path + (name,)), {}).get("skip")  # --only: it follows, with nothing to reuse
        if skip:
            return self._skip(path, name, task, "skipped", skip)
        values = bindings.task_inputs(task, inputs, results, self.run_dir.name, self._runtime(name))
        condition = task.get("triggerPolicy", {}).get("condition")
        if condition and not self.conditions.holds(condition, values["parameters"]):
            return self._skip(path, name, task, "skipped", "if: false")
        if "parameterIterator" in task or "artifactIterator" in task:
            return self._run_loop(name, task, component, values, path)
        if "dag" in component:
            return self._dag_result(*self.run_dag(component, values, path + (name,)))
        executor = self.executors[component["executorLabel"]]
        if "importer" in executor:
            return self._run_importer(name, task, executor, values, path)
        return self._run_container(name, task, component, executor, values, path, inputs["parameters"])

    def _runtime(self, task_name: str) -> dict[str, str]:
        """What KFP's run-time placeholders stand for in this run, for one task."""
        return {**self.job, RUNTIME["task.name"]: task_name, RUNTIME["task.id"]: str(uuid.uuid4())}

    def _failed(self, path: tuple, name: str, task: dict, error: str) -> Result:
        record = self.tracker.failed(path, name, task, error)
        return Result("failed", error=error, failed_step=record.label)

    def _skip(self, path: tuple, name: str, task: dict, state: str, reason: str | None) -> Result:
        self.tracker.end_unstarted(path, name, task, state, reason)
        return Result(state)

    def _record(self, path: tuple, name: str, task: dict) -> StepRecord:
        return self.tracker.record(path, name, task)

    # ---- loops ---------------------------------------------------------------------------

    def _run_loop(self, name: str, task: dict, component: dict, values: dict, path: tuple) -> Result:
        over_artifacts = "artifactIterator" in task
        iterator = task["artifactIterator" if over_artifacts else "parameterIterator"]
        items = iterator["items"]
        if over_artifacts:  # one artifact per iteration
            sequence = values["artifacts"][items["inputArtifact"]]
        else:
            sequence = json.loads(items["raw"]) if "raw" in items else values["parameters"][items["inputParameter"]]
            if isinstance(sequence, str):
                sequence = json.loads(sequence)
        limit = task.get("iteratorPolicy", {}).get("parallelismLimit") or len(sequence) or 1

        def iteration(index_item):
            index, item = index_item
            here = path + (f"{name}[{index}]",)
            self.tracker.items["/".join(here)] = os.path.basename(item["uri"]) if over_artifacts else item
            self.tracker.pending(component, here)
            if over_artifacts:
                scoped = {"parameters": values["parameters"],
                          "artifacts": {**values["artifacts"], iterator["itemInput"]: [item]}}
            else:
                scoped = {"parameters": {**values["parameters"], iterator["itemInput"]: item},
                          "artifacts": values["artifacts"]}
            return self.run_dag(component, scoped, here)

        with ThreadPoolExecutor(max_workers=max(1, min(limit, self.threads))) as pool:
            runs = list(pool.map(iteration, enumerate(sequence)))
        outputs = {"parameters": {}, "artifacts": {}}
        for key in component["dag"].get("outputs", {}).get("parameters", {}):
            outputs["parameters"][key] = [r[1]["parameters"].get(key) for r in runs]
        for key in component["dag"].get("outputs", {}).get("artifacts", {}):
            outputs["artifacts"][key] = [a for r in runs for a in r[1]["artifacts"].get(key, [])]
        failed = any(r[0] == "failed" for r in runs)
        failed_step = next((r.failed_step for run in runs for r in run[2].values() if r.failed_step), None)
        return Result("failed" if failed else "succeeded", outputs, failed_step=failed_step)

    def _finish(self, record: StepRecord, result: Result) -> Result:
        record.finish(result.outputs)
        self.on_event(record)
        return result

    def _note_once(self, key: str, text: str):
        with self.lock:
            if key in self.noted:
                return
            self.noted.add(key)
        self.note(text)


def _gpu_count() -> int:
    if os.environ.get("KFYAML_GPUS"):
        return int(os.environ["KFYAML_GPUS"])
    if shutil.which("nvidia-smi") is None:
        return 0
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in listing.splitlines() if line.startswith("GPU "))

