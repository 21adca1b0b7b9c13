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
import re
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
from kfyaml.ir.placeholders import INPUT_PARAMETER, RUNTIME
from kfyaml.ir.values import duration_seconds, text

from . import bindings, environments, launch, local_platform, mocks, remote
from .cache import Cache, cache_key
from .conditions import Conditions
from .params import typed
from .records import FAILED, Result, RunError, StepRecord
from .run_folders import LogNames, new_run_dir
from .tracker import Tracker

__all__ = ["Run", "Result", "RunError", "StepRecord"]


class Run:
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
        self.mocks = mocks or {}  # IR task name -> {"outputs": {...}}: `kfyaml test`'s mocked steps
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

    # ---- steps ---------------------------------------------------------------------------

    def _run_importer(self, name, task, executor, values, path) -> Result:
        spec = executor["importer"]
        uri = spec["artifactUri"].get("constant") or values["parameters"].get(spec["artifactUri"].get("runtimeParameter", "uri"))
        uri = uri[len("file://"):] if uri.startswith("file://") else uri
        label = task.get("taskInfo", {}).get("name", name)
        if remote.is_remote(uri):
            uri = remote.fetch(uri, self.run_dir / "imports", label)
        uri = os.path.join(self.base_dir, os.path.expanduser(uri))  # relative: to the pipeline's folder
        if not os.path.exists(uri):
            raise RunError(f"{label}: {uri} does not exist")
        record = self._record(path, name, task)
        record.state, record.started, record.finished = "succeeded", time.time(), time.time()
        self.on_event(record)
        artifact = {"name": "artifact", "schema_title": spec["typeSchema"]["schemaTitle"], "uri": os.path.abspath(uri),
                    "metadata": spec.get("metadata", {})}
        return Result("succeeded", {"parameters": {}, "artifacts": {"artifact": [artifact]}})

    def _prepare(self, record: StepRecord, component: dict, container: dict, values: dict,
                 dag_params: dict) -> launch.Launch:
        """The step's inputs typed as it declares them, and where its outputs go."""
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", record.path)
        out_dir = self.run_dir / "outputs" / slug
        declared = component.get("inputDefinitions", {})
        params = dict(values["parameters"])
        for input_name, spec in declared.get("parameters", {}).items():
            if input_name not in params and "defaultValue" in spec:
                params[input_name] = spec["defaultValue"]
            if input_name in params:
                params[input_name] = typed(params[input_name], spec["parameterType"])
        params = {n: v for n, v in params.items() if n in declared.get("parameters", {})}
        artifacts = {n: v for n, v in values["artifacts"].items() if n in declared.get("artifacts", {})}
        output_defs = component.get("outputDefinitions", {})
        out_params = {n: str(out_dir / "parameters" / n) for n in output_defs.get("parameters", {})}
        out_artifacts = {n: {"name": n, "schema_title": spec["artifactType"]["schemaTitle"], "uri": str(out_dir / n),
                             "metadata": {}} for n, spec in output_defs.get("artifacts", {}).items()}
        def resolved(field: str) -> str:  # a param in the image or a resource amount
            return INPUT_PARAMETER.sub(lambda m: text(values["parameters"].get(m.group(1), m.group(0))), field)

        image = resolved(container.get("image", ""))
        if "resources" in container:
            container = {**container, "resources": json.loads(resolved(json.dumps(container["resources"])))}
        # kfp-kubernetes names a secret or claim from a param by the input of the DAG the task is in
        local = local_platform.settings(self.platform.get(component.get("executorLabel"), {}),
                                        {**dag_params, **values["parameters"]}, self.local, self._note_once,
                                        self.run_dir / "mounts")
        return launch.Launch(container, output_defs, params, artifacts, out_params, out_artifacts, out_dir, image,
                             self.base_dir, local.timeout_s, local.env, local.links, record.label)

    def _run_container(self, name, task, component, executor, values, path, dag_params) -> Result:
        record = self._record(path, name, task)
        step = self._prepare(record, component, executor["container"], values, dag_params)
        record.log = str(self.run_dir / "logs" / self.log_names.name(record.label))
        Path(record.log).parent.mkdir(parents=True, exist_ok=True)
        record.inputs = {**step.params, **{n: [a["uri"] for a in arts] for n, arts in step.artifacts.items()}}
        if name in self.mocks:
            record.started = time.time()
            outputs = mocks.fake(self.mocks[name], step.output_defs, step.out_artifacts, str(self.base_dir), record.label)
            record.state, record.reason, record.finished = "succeeded", self.mocks[name].get("reason", "mocked"), time.time()
            return self._finish(record, Result("succeeded", {"parameters": outputs, "artifacts": _listed(step.out_artifacts)}))
        caching = task.get("cachingOptions", {}).get("enableCache", False) and self.use_cache
        key = cache_key(component, executor, step.params, step.artifacts,
                        task.get("cachingOptions", {}).get("cacheKey", ""))
        with open(record.log, "a", encoding="utf-8") as log:
            if caching:
                record.started = time.time()
                hit = self.cache.load(key, step.out_artifacts, log.write)
                if hit is not None:
                    record.state, record.finished = "cached", time.time()
                    log.write(f"cached result {key[:12]}: the step did not run\n")
                    return self._finish(record, Result("cached", {"parameters": hit, "artifacts": _listed(step.out_artifacts)}))
            attempt = self._attempts(task, step, record, log)
            if self.slots.cancelled.is_set() and not attempt.ok:
                record.state, record.reason = "cancelled", None
                return self._finish(record, Result("cancelled"))
            if not attempt.ok:
                record.state = "timed_out" if attempt.timed_out else "failed"
                return self._finish(record, Result("failed", error=record.error, failed_step=record.label))
            if caching:
                self._store(key, attempt.outputs, step.out_artifacts, log)
            record.state, record.error = "succeeded", None
            return self._finish(record, Result("succeeded", {"parameters": attempt.outputs,
                                                             "artifacts": _listed(step.out_artifacts)}))

    def _attempts(self, task: dict, step: launch.Launch, record: StepRecord, log) -> launch.Attempt:
        """Run the step until it succeeds or its retry policy is spent."""
        policy = task.get("retryPolicy", {})
        attempts = 1 + int(policy.get("maxRetryCount", 0))
        wait_s = duration_seconds(policy.get("backoffDuration", "0s"))
        max_wait_s = duration_seconds(policy.get("backoffMaxDuration", "3600s"))

        def preparing():  # its environment is being made: shown, and counted in its time
            record.started, record.state = time.time(), "preparing"
            self.on_event(record)

        def started():
            if record.attempts == 1:  # running from when it has a worker (and a GPU), not while queued
                if record.state != "preparing":
                    record.started = time.time()
                record.state = "running"
                self.on_event(record)

        for number in range(1, attempts + 1):
            record.attempts = number
            log.write(f"--- attempt {number} of {attempts} ---\n")
            log.flush()
            attempt = launch.run(step, self.slots, log, started, preparing, lambda seen: record.show(seen, self.on_event))
            record.finished, record.reenter = attempt.finished, attempt.reenter
            if attempt.ok:
                return attempt
            record.error = attempt.error or f"exited with {attempt.code}"
            log.write(f"--- attempt {number} failed: {record.error} ---\n")
            if self.slots.cancelled.is_set():
                break
            if number < attempts and not self.slots.cancelled.is_set():
                time.sleep(min(wait_s, max_wait_s))
                wait_s *= float(policy.get("backoffFactor", 2.0))
        return attempt

    def _store(self, key: str, outputs: dict, out_artifacts: dict, log) -> None:
        """Cache a result; a cache that cannot be written leaves the step succeeded, and says so."""
        try:
            self.cache.store(key, outputs, out_artifacts)
        except OSError as exc:
            log.write(f"the result was not cached: {exc}\n")
            self._note_once("cache", f"the cache in {self.cache.root} could not be written ({exc.strerror or exc}); "
                                     "results are not cached")

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


def _listed(out_artifacts: dict) -> dict:
    return {name: [art] for name, art in out_artifacts.items()}


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

