"""Run compiled KFP IR on this machine: the embedded default backend.

The IR is interpreted as a KFP backend would: every DAG (the root, groups,
loops, condition branches, the exit handler) schedules its tasks as their
`dependentTasks` finish, independent tasks run at the same time (up to
`max_workers` steps, and never more GPU steps at once than there are GPUs),
conditions are evaluated by a real CEL implementation exactly as written,
loops honour their parallelism limit and gather their outputs into lists,
`OneOf` outputs take the branch that ran, a failure skips what depends on it
while exit handlers still run, and retries follow the task's retry policy.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
import shutil
import subprocess
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Callable

from . import environments, placeholders
from .cache import Cache, cache_key

FAILED = ("failed", "upstream_failed")
DONE_OK = ("succeeded", "cached")
_SELECTOR = re.compile(r'^parseJson\(string_value\)\["([^"]+)"\]$')


class RunError(Exception):
    """A problem with the run's input (a param, an importer URI), said before anything runs."""


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


class Run:
    def __init__(self, spec: dict, params: dict, workdir: Path, use_cache: bool = True, max_workers: int | None = None,
                 on_event: Callable[[StepRecord], None] | None = None, note: Callable[[str], None] | None = None):
        self.spec = spec
        self.components = spec["components"]
        self.executors = spec["deploymentSpec"]["executors"]
        self.workdir = Path(workdir).resolve()
        self.run_dir = self.workdir / "runs" / f"{spec['pipelineInfo']['name']}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        self.cache = Cache(self.workdir / "cache")
        self.use_cache = use_cache
        self.max_workers = max_workers or os.cpu_count() or 1
        self.workers = threading.BoundedSemaphore(self.max_workers)
        self.gpus = _gpu_count()
        self.gpu_slots = threading.BoundedSemaphore(max(1, self.gpus))
        self.records: list[StepRecord] = []
        self.lock = threading.Lock()
        self.on_event = on_event or (lambda record: None)
        self.note = note or (lambda text: None)
        self.noted: set[str] = set()
        self.params = self._root_params(params)
        self._programs: dict[str, Any] = {}

    # ---- entry ---------------------------------------------------------------------

    def execute(self) -> Result:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        state, outputs, _ = self.run_dag(self.spec["root"], {"parameters": self.params, "artifacts": {}}, ())
        return Result(state, outputs)

    def _root_params(self, given: dict) -> dict:
        definitions = self.spec["root"].get("inputDefinitions", {}).get("parameters", {})
        unknown = sorted(set(given) - set(definitions))
        if unknown:
            raise RunError(f"the pipeline has no param {', '.join(unknown)}; its params are: {', '.join(definitions) or 'none'}")
        values = {}
        for name, spec in definitions.items():
            if name in given:
                values[name] = coerce_param(name, given[name], spec["parameterType"])
            elif "defaultValue" in spec:
                values[name] = spec["defaultValue"]
            elif not spec.get("isOptional"):
                raise RunError(f'param "{name}" has no default: pass --param {name}=...')
        return values

    # ---- DAGs --------------------------------------------------------------------------

    def run_dag(self, component: dict, inputs: dict, path: tuple) -> tuple[str, dict, dict]:
        tasks = component["dag"]["tasks"]
        results: dict[str, Result] = {}
        pending = set(tasks)
        futures = {}
        with ThreadPoolExecutor(max_workers=max(1, len(tasks))) as pool:
            while pending or futures:
                for name in sorted(pending):
                    deps = tasks[name].get("dependentTasks", [])
                    if any(d not in results for d in deps):
                        continue
                    pending.discard(name)
                    always = tasks[name].get("triggerPolicy", {}).get("strategy") == "ALL_UPSTREAM_TASKS_COMPLETED"
                    if not always and any(results[d].state in FAILED for d in deps):
                        results[name] = self._skip(path, name, tasks[name], "upstream_failed")
                        continue
                    futures[pool.submit(self.run_task, name, tasks[name], inputs, results, path)] = name
                if not futures:
                    break
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    results[futures.pop(future)] = future.result()
        failed = any(r.state in FAILED for r in results.values())
        return ("failed" if failed else "succeeded"), self._dag_outputs(component, results), results

    def run_task(self, name: str, task: dict, inputs: dict, results: dict, path: tuple) -> Result:
        component = self.components[task["componentRef"]["name"]]
        try:
            values = self._task_inputs(task, inputs, results)
            condition = task.get("triggerPolicy", {}).get("condition")
            if condition and not self._holds(condition, values["parameters"]):
                return self._skip(path, name, task, "skipped")
            if "parameterIterator" in task:
                return self._run_loop(name, task, component, values, path)
            if "dag" in component:
                state, outputs, _ = self.run_dag(component, values, path + (name,))
                return Result(state, outputs)
            executor = self.executors[component["executorLabel"]]
            if "importer" in executor:
                return self._run_importer(name, task, executor, values, path)
            return self._run_container(name, task, component, executor, values, path)
        except Exception as exc:  # a step's own failure is recorded, never raised through the run
            record = self._record(path, name, task)
            record.state, record.error, record.finished = "failed", str(exc), time.time()
            record.started = record.started or record.finished
            self.on_event(record)
            return Result("failed", error=str(exc))

    def _skip(self, path, name, task, state) -> Result:
        record = self._record(path, name, task)
        record.state = state
        self.on_event(record)
        return Result(state)

    def _record(self, path: tuple, name: str, task: dict) -> StepRecord:
        with self.lock:
            record = StepRecord("/".join(path + (name,)), task.get("taskInfo", {}).get("name", name))
            self.records.append(record)
            return record

    # ---- values --------------------------------------------------------------------------

    def _task_inputs(self, task: dict, inputs: dict, results: dict) -> dict:
        params, artifacts = {}, {}
        for name, binding in task.get("inputs", {}).get("parameters", {}).items():
            params[name] = self._value(binding, inputs, results)
        for name, binding in task.get("inputs", {}).get("artifacts", {}).items():
            artifacts[name] = self._artifacts(binding, inputs, results)
        for name, value in params.items():  # "gs://{{$.inputs.parameters['pipelinechannel--bucket']}}/x"
            if isinstance(value, str) and "{{$.inputs.parameters[" in value:
                params[name] = re.sub(r"\{\{\$\.inputs\.parameters\['([^']+)'\]\}\}",
                                      lambda m: placeholders.text(params[m.group(1)]), value)
        return {"parameters": params, "artifacts": artifacts}

    def _value(self, binding: dict, inputs: dict, results: dict) -> Any:
        if "runtimeValue" in binding:
            value = copy.deepcopy(binding["runtimeValue"].get("constant"))
        elif "componentInputParameter" in binding:
            name = binding["componentInputParameter"]
            if name not in inputs["parameters"]:
                raise RunError(f"no value for {name!r}")
            value = inputs["parameters"][name]
        elif "taskOutputParameter" in binding:
            ref = binding["taskOutputParameter"]
            value = self._output(results, ref["producerTask"], "parameters", ref["outputParameterKey"])
        elif "taskFinalStatus" in binding:
            producer = binding["taskFinalStatus"]["producerTask"]
            state = results[producer].state
            value = {"state": "SUCCEEDED" if state in DONE_OK else "FAILED",
                     "pipelineJobResourceName": self.run_dir.name, "pipelineTaskName": producer,
                     "error": {"code": 0 if state in DONE_OK else 1, "message": results[producer].error or ""}}
        else:
            raise RunError(f"unsupported input binding {binding}")
        selector = binding.get("parameterExpressionSelector")
        if selector:
            match = _SELECTOR.match(selector)
            if not match:
                raise RunError(f"unsupported parameterExpressionSelector {selector}")
            value = (json.loads(value) if isinstance(value, str) else value)[match.group(1)]
        return value

    def _artifacts(self, binding: dict, inputs: dict, results: dict) -> list[dict]:
        if "componentInputArtifact" in binding:
            return inputs["artifacts"][binding["componentInputArtifact"]]
        ref = binding["taskOutputArtifact"]
        return self._output(results, ref["producerTask"], "artifacts", ref["outputArtifactKey"])

    @staticmethod
    def _output(results, producer, kind, key):
        result = results.get(producer)
        if result is None or key not in result.outputs[kind]:
            raise RunError(f"{producer!r} produced no {key!r}")
        return result.outputs[kind][key]

    def _dag_outputs(self, component: dict, results: dict) -> dict:
        outputs = {"parameters": {}, "artifacts": {}}
        specs = component["dag"].get("outputs", {})
        for key, spec in specs.get("parameters", {}).items():
            selectors = ([spec["valueFromParameter"]] if "valueFromParameter" in spec
                         else spec.get("valueFromOneof", {}).get("parameterSelectors", []))
            for s in selectors:  # a OneOf takes the branch that ran
                result = results.get(s["producerSubtask"])
                if result is not None and result.state in DONE_OK and s["outputParameterKey"] in result.outputs["parameters"]:
                    outputs["parameters"][key] = result.outputs["parameters"][s["outputParameterKey"]]
                    break
        for key, spec in specs.get("artifacts", {}).items():
            for s in spec.get("artifactSelectors", []):
                result = results.get(s["producerSubtask"])
                if result is not None and result.state in DONE_OK and s["outputArtifactKey"] in result.outputs["artifacts"]:
                    outputs["artifacts"][key] = result.outputs["artifacts"][s["outputArtifactKey"]]
                    break
        return outputs

    def _holds(self, condition: str, parameters: dict) -> bool:
        """The condition as KFP's backend evaluates it: CEL over the task's inputs, numbers as doubles."""
        import celpy

        with self.lock:
            program = self._programs.get(condition)
            if program is None:
                env = celpy.Environment()
                program = self._programs[condition] = env.program(env.compile(condition))
        activation = {"inputs": celpy.json_to_cel({"parameter_values": _as_protobuf_values(parameters)})}
        return bool(program.evaluate(activation))

    # ---- loops ---------------------------------------------------------------------------

    def _run_loop(self, name: str, task: dict, component: dict, values: dict, path: tuple) -> Result:
        iterator = task["parameterIterator"]
        items = iterator["items"]
        sequence = json.loads(items["raw"]) if "raw" in items else values["parameters"][items["inputParameter"]]
        if isinstance(sequence, str):
            sequence = json.loads(sequence)
        limit = task.get("iteratorPolicy", {}).get("parallelismLimit") or len(sequence) or 1

        def iteration(index_item):
            index, item = index_item
            scoped = {"parameters": {**values["parameters"], iterator["itemInput"]: item}, "artifacts": values["artifacts"]}
            return self.run_dag(component, scoped, path + (f"{name}[{index}]",))

        with ThreadPoolExecutor(max_workers=limit) as pool:
            runs = list(pool.map(iteration, enumerate(sequence)))
        outputs = {"parameters": {}, "artifacts": {}}
        for key in component["dag"].get("outputs", {}).get("parameters", {}):
            outputs["parameters"][key] = [r[1]["parameters"].get(key) for r in runs]
        for key in component["dag"].get("outputs", {}).get("artifacts", {}):
            outputs["artifacts"][key] = [a for r in runs for a in r[1]["artifacts"].get(key, [])]
        failed = any(r[0] == "failed" for r in runs)
        return Result("failed" if failed else "succeeded", outputs)

    # ---- steps ---------------------------------------------------------------------------

    def _run_importer(self, name, task, executor, values, path) -> Result:
        record = self._record(path, name, task)
        spec = executor["importer"]
        uri = spec["artifactUri"].get("constant") or values["parameters"].get(spec["artifactUri"].get("runtimeParameter", "uri"))
        uri = uri[len("file://"):] if uri.startswith("file://") else uri
        if re.match(r"^[a-z][a-z0-9+.-]*://", uri):
            raise RunError(f"{record.name}: kfyaml run reads local files only, not {uri}; pass a local path as the param")
        if not os.path.exists(uri):
            raise RunError(f"{record.name}: {uri} does not exist")
        record.state, record.started, record.finished = "succeeded", time.time(), time.time()
        self.on_event(record)
        artifact = {"name": "artifact", "schema_title": spec["typeSchema"]["schemaTitle"], "uri": os.path.abspath(uri),
                    "metadata": spec.get("metadata", {})}
        return Result("succeeded", {"parameters": {}, "artifacts": {"artifact": [artifact]}})

    def _run_container(self, name, task, component, executor, values, path) -> Result:
        record = self._record(path, name, task)
        container = executor["container"]
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", record.path)
        out_dir = self.run_dir / "outputs" / slug
        record.log = str(self.run_dir / "logs" / f"{slug}.log")
        Path(record.log).parent.mkdir(parents=True, exist_ok=True)
        params = dict(values["parameters"])
        for input_name, spec in component.get("inputDefinitions", {}).get("parameters", {}).items():
            if input_name not in params and "defaultValue" in spec:
                params[input_name] = spec["defaultValue"]
            if input_name in params:
                params[input_name] = _typed(params[input_name], spec["parameterType"])
        artifacts = {n: v for n, v in values["artifacts"].items()
                     if n in component.get("inputDefinitions", {}).get("artifacts", {})}
        params = {n: v for n, v in params.items() if n in component.get("inputDefinitions", {}).get("parameters", {})}
        output_defs = component.get("outputDefinitions", {})
        out_params = {n: str(out_dir / "parameters" / n) for n in output_defs.get("parameters", {})}
        out_artifacts = {n: {"name": n, "schema_title": spec["artifactType"]["schemaTitle"], "uri": str(out_dir / n),
                             "metadata": {}} for n, spec in output_defs.get("artifacts", {}).items()}
        caching = task.get("cachingOptions", {}).get("enableCache", False) and self.use_cache
        key = cache_key(component, executor, params, artifacts, task.get("cachingOptions", {}).get("cacheKey", ""))
        log = open(record.log, "a", encoding="utf-8")
        try:
            if caching:
                record.started = time.time()
                hit = self.cache.load(key, out_artifacts, log.write)
                if hit is not None:
                    record.state, record.finished = "cached", time.time()
                    log.write(f"cached result {key[:12]}: the step did not run\n")
                    return self._finish(record, Result("cached", {"parameters": hit, "artifacts": _listed(out_artifacts)}))
            policy = task.get("retryPolicy", {})
            attempts = 1 + int(policy.get("maxRetryCount", 0))
            wait_s = _seconds(policy.get("backoffDuration", "0s"))
            for attempt in range(attempts):
                record.attempts = attempt + 1
                log.write(f"--- attempt {attempt + 1} of {attempts} ---\n")
                log.flush()
                code, outputs, error = self._launch(container, output_defs, params, artifacts, out_params,
                                                    out_artifacts, out_dir, log, record)
                if code == 0 and error is None:
                    if caching:
                        self.cache.store(key, outputs, out_artifacts)
                    record.state = "succeeded"
                    return self._finish(record, Result("succeeded", {"parameters": outputs, "artifacts": _listed(out_artifacts)}))
                record.error = error or f"exited with {code}"
                log.write(f"--- attempt {attempt + 1} failed: {record.error} ---\n")
                if attempt + 1 < attempts:
                    time.sleep(min(wait_s, _seconds(policy.get("backoffMaxDuration", "3600s"))))
                    wait_s *= float(policy.get("backoffFactor", 2.0))
            record.state = "failed"
            return self._finish(record, Result("failed", error=record.error))
        finally:
            log.close()

    def _finish(self, record: StepRecord, result: Result) -> Result:
        record.outputs = result.outputs["parameters"]
        self.on_event(record)
        return result

    def _launch(self, container, output_defs, params, artifacts, out_params, out_artifacts, out_dir, log, record):
        if out_dir.exists():
            shutil.rmtree(out_dir)
        (out_dir / "parameters").mkdir(parents=True)
        work = out_dir / "work"
        work.mkdir()
        output_file = str(out_dir / "executor_output.json")
        io = {"parameters": params, "artifacts": artifacts, "output_parameters": out_params,
              "output_artifacts": out_artifacts,
              "executor_input": placeholders.executor_input(params, artifacts, out_params, out_artifacts, output_file)}
        command = placeholders.resolve_command(container.get("command", []) + container.get("args", []), io)
        script = environments.install_script(command)
        if script is not None:
            venv = environments.environment(script, log.write)
            command[2] = 'exec "$0" "$@"'  # installed already: straight to the function
        else:
            self._note_once("image", f"inline container steps run as commands on this machine; their images "
                                     f"({container.get('image')}, ...) are not used")
            venv = environments.host_environment(log.write)
        env = environments.activated(venv)
        env.update({e["name"]: e.get("value", "") for e in container.get("env", [])})
        needs_gpu = int(container.get("resources", {}).get("accelerator", {}).get("resourceCount", 0) or 0) > 0
        if needs_gpu and self.gpus == 0:
            self._note_once("gpu", "no GPU on this machine: steps that ask for GPUs run on the CPU, one at a time")
        with self.workers:
            if needs_gpu:
                self.gpu_slots.acquire()
            try:
                if record.attempts == 1:  # running from when it has a worker (and a GPU), not while queued
                    record.started, record.state = time.time(), "running"
                    self.on_event(record)
                log.flush()
                code = subprocess.run(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL).returncode
                record.finished = time.time()  # the process's end, while it still holds its slots
            finally:
                if needs_gpu:
                    self.gpu_slots.release()
        if code != 0:
            return code, {}, None
        produced = placeholders.read_executor_output(output_file)
        outputs = dict(produced.get("parameterValues", {}))
        try:
            for name, spec in output_defs.get("parameters", {}).items():
                if name not in outputs:
                    outputs[name] = placeholders.read_parameter(out_params[name], spec["parameterType"])
        except (OSError, ValueError) as exc:
            return 0, {}, f"output {name!r}: {exc}"
        for name, listing in produced.get("artifacts", {}).items():
            if name in out_artifacts and listing.get("artifacts"):
                out_artifacts[name]["metadata"] = listing["artifacts"][0].get("metadata", {})
        return 0, outputs, None

    def _note_once(self, key: str, text: str):
        with self.lock:
            if key in self.noted:
                return
            self.noted.add(key)
        self.note(text)


def _listed(out_artifacts: dict) -> dict:
    return {name: [art] for name, art in out_artifacts.items()}


def _seconds(text) -> float:
    return float(str(text).rstrip("s") or 0)


def _typed(value, parameter_type: str):
    """Values as the step declares them: JSON numbers lose int-ness on the way."""
    if parameter_type == "NUMBER_INTEGER" and isinstance(value, float) and value.is_integer():
        return int(value)
    if parameter_type == "NUMBER_DOUBLE" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def coerce_param(name: str, raw, parameter_type: str):
    """A --param value, typed as the pipeline declares it."""
    if not isinstance(raw, str):
        return raw
    try:
        if parameter_type == "STRING":
            return raw
        if parameter_type == "NUMBER_INTEGER":
            return int(raw)
        if parameter_type == "NUMBER_DOUBLE":
            return float(raw)
        if parameter_type == "BOOLEAN":
            if raw.lower() not in ("true", "false"):
                raise ValueError
            return raw.lower() == "true"
        value = json.loads(raw)
        if parameter_type == "LIST" and not isinstance(value, list) or parameter_type == "STRUCT" and not isinstance(value, dict):
            raise ValueError
        return value
    except ValueError:
        kind = {"NUMBER_INTEGER": "an int", "NUMBER_DOUBLE": "a number", "BOOLEAN": "true or false",
                "LIST": "a JSON list", "STRUCT": "a JSON object"}.get(parameter_type, parameter_type)
        raise RunError(f"--param {name}={raw}: {name} must be {kind}") from None


def _as_protobuf_values(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [_as_protobuf_values(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_protobuf_values(v) for k, v in value.items()}
    return value


def _gpu_count() -> int:
    if os.environ.get("KFYAML_GPUS"):
        return int(os.environ["KFYAML_GPUS"])
    if shutil.which("nvidia-smi") is None:
        return 0
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in listing.splitlines() if line.startswith("GPU "))
