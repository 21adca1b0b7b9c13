"""One leaf task of a run: an importer, or a container step with its inputs typed, its cached result, its
mock (`kfyaml test`, `kfyaml run --only`) or its attempts under the task's retry policy.

`Run` (engine.py) schedules the DAGs and owns the run's state; these are its
methods for a single step, kept apart so that each file says one thing.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from kfyaml.ir.placeholders import INPUT_PARAMETER
from kfyaml.ir.values import duration_seconds, text

from . import launch, local_platform, mocks, remote
from .cache import cache_key
from .params import typed
from .records import Result, RunError, StepRecord


class Steps:
    """The step-running half of `Run`: it reads the run's state (slots, cache, tracker) and never schedules."""

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
        mock = self.mocks.get(record.path, self.mocks.get(name))  # by place (--only, --from) or by task (kfyaml test)
        if mock is not None:
            record.started = time.time()
            outputs = mocks.fake(mock, step.output_defs, step.out_artifacts, str(self.base_dir), record.label)
            record.state, record.reason, record.finished = "succeeded", mock.get("reason", "mocked"), time.time()
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


def _listed(out_artifacts: dict) -> dict:
    return {name: [art] for name, art in out_artifacts.items()}
