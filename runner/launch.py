"""One attempt of a container step: its command resolved, its environment, the process, its outputs.

A KFP Python step's install prelude is run once per requirement set into a
venv (`environments`) and skipped afterwards; an inline container step runs
as a host command (the image is not used: said once per run). The process
waits for a worker slot, and a GPU slot when it asks for GPUs; it counts as
running from when it has them, not while queued.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from kfyaml.ir.prelude import install_script

from . import environments, mounts, placeholders, progress_lines, reenter


@dataclasses.dataclass(frozen=True)
class Launch:
    """What one attempt runs, and where its inputs and outputs live."""

    container: dict
    output_defs: dict      # the component's outputDefinitions
    params: dict           # input name -> value
    artifacts: dict        # input name -> [artifact]
    out_params: dict       # output name -> the file the step writes it to
    out_artifacts: dict    # output name -> artifact (its metadata is filled in after the run)
    out_dir: Path
    image: str = ""        # the container image, any param in it resolved
    cwd: Path | None = None          # where the process starts: the pipeline's folder (None: out_dir/work)
    timeout_s: float | None = None   # the step's `timeout` (kfp-kubernetes activeDeadlineSeconds)
    env: tuple[tuple[str, str], ...] = ()  # set for this step beyond the container's own (local secrets...)
    links: tuple[tuple[str, str], ...] = ()  # (mount path, local folder): its volumes, as links
    label: str = ""        # the step as the pipeline file names it


@dataclasses.dataclass(frozen=True)
class Attempt:
    code: int
    outputs: dict
    error: str | None = None
    finished: float = 0.0  # when the process ended, taken while it still held its slots
    timed_out: bool = False
    reenter: str | None = None  # the script that goes back into the step (runner/reenter.py)

    @property
    def ok(self) -> bool:
        return self.code == 0 and self.error is None


@dataclasses.dataclass
class Slots:
    """What steps share on this machine: worker slots, GPUs, and the processes running now (to cancel)."""

    workers: threading.BoundedSemaphore
    gpus: int
    gpu_slots: threading.BoundedSemaphore
    note_once: Callable[[str, str], None]
    python: environments.Python | None = None  # the user's interpreter steps' environments are layered over
    pause_on_error: bool = False  # `kfyaml run --pause-on-error`: keep a failed step for re-entry
    links: mounts.Links = dataclasses.field(default_factory=mounts.Links)
    cancelled: threading.Event = dataclasses.field(default_factory=threading.Event)
    running: set = dataclasses.field(default_factory=set)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def cancel(self, grace_s: float = 5.0) -> None:
        """Stop every running step: SIGTERM to its process group, SIGKILL to what is left after `grace_s`
        (a step that ignores SIGTERM must not keep the run alive)."""
        self.cancelled.set()
        with self.lock:
            running = list(self.running)
        for process in running:
            _signal_group(process, signal.SIGTERM)

        def kill_rest():
            for process in running:
                if process.poll() is None:
                    _signal_group(process, signal.SIGKILL)

        timer = threading.Timer(grace_s, kill_rest)
        timer.daemon = True
        timer.start()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    """Signal the step's whole process group: a shell's children too."""
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run(launch: Launch, slots: Slots, log: TextIO, on_start: Callable[[], None],
        on_prepare: Callable[[], None] | None = None, on_progress: Callable[[dict], None] | None = None) -> Attempt:
    if launch.out_dir.exists():
        shutil.rmtree(launch.out_dir)
    (launch.out_dir / "parameters").mkdir(parents=True)
    work = launch.out_dir / "work"
    work.mkdir()
    output_file = str(launch.out_dir / "executor_output.json")
    io = {"parameters": launch.params, "artifacts": launch.artifacts, "output_parameters": launch.out_params,
          "output_artifacts": launch.out_artifacts,
          "executor_input": placeholders.executor_input(launch.params, launch.artifacts, launch.out_params,
                                                        launch.out_artifacts, output_file)}
    container = launch.container
    command = placeholders.resolve_command(container.get("command", []) + container.get("args", []), io)
    script = install_script(command)
    try:
        if script is not None:
            venv = environments.environment(script, log.write, slots.python, on_prepare,
                                            lambda text: slots.note_once(f"environment {text}", text))
            command[2] = 'exec "$0" "$@"'  # installed already: straight to the function
        else:
            slots.note_once("image", f"inline container steps run as commands on this machine; their images "
                                     f"({launch.image}, ...) are not used")
            venv = environments.host_environment(log.write, slots.python, on_prepare)
    except environments.EnvironmentError_ as exc:
        log.write(f"{exc}\n")
        return Attempt(-1, {}, str(exc), time.time())
    env = environments.activated(venv)
    env["KFYAML_RUN"] = "local"  # a step can tell it runs here, not in a pod (train_torch_ddp's nodes do)
    env.update({e["name"]: e.get("value", "") for e in container.get("env", [])})
    env.update(dict(launch.env))
    if reenter.before_note(container):
        slots.note_once("debug-before", reenter.before_note(container))
    needs_gpu = _count(container.get("resources", {}).get("accelerator", {}).get("resourceCount")) > 0
    if needs_gpu and slots.gpus == 0:
        slots.note_once("gpu", "no GPU on this machine: steps that ask for GPUs run on the CPU, one at a time")
    with slots.workers:
        if needs_gpu:
            slots.gpu_slots.acquire()
        try:
            slots.links.acquire(launch.links)
        except mounts.MountError as exc:
            if needs_gpu:
                slots.gpu_slots.release()
            log.write(f"{exc}\n")
            return Attempt(-1, {}, str(exc), time.time())
        try:
            with slots.lock:
                if slots.cancelled.is_set():
                    return Attempt(-1, {}, "cancelled", time.time())
                on_start()
                log.flush()
                process = subprocess.Popen(command, cwd=launch.cwd or work, env=env, stdout=log,
                                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
                slots.running.add(process)
            follower = progress_lines.Follower(log.name, log.tell(), on_progress) if on_progress else None
            timed_out = False
            try:
                code = process.wait(timeout=launch.timeout_s)
            except subprocess.TimeoutExpired:  # as Kubernetes ends a pod past activeDeadlineSeconds
                timed_out = True
                _signal_group(process, signal.SIGTERM)
                try:
                    code = process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    _signal_group(process, signal.SIGKILL)
                    code = process.wait()
            finished = time.time()
            if follower is not None:
                follower.stop()
            _signal_group(process, signal.SIGKILL)  # what the step left behind ends with it, as with a pod
            with slots.lock:
                slots.running.discard(process)
        finally:
            slots.links.release(launch.links)
            if needs_gpu:
                slots.gpu_slots.release()
    if timed_out:
        attempt = Attempt(code, {}, f"timed out after {launch.timeout_s:g}s", finished, timed_out=True)
    else:
        attempt = Attempt(code, {}, finished=finished) if code != 0 else _outputs(launch, output_file)
    kept = None
    if reenter.wanted(container, slots.pause_on_error, attempt.ok):
        kept = str(reenter.write(launch.out_dir, launch.label, command, env, launch.cwd or work, {n for n, _ in launch.env}))
    return dataclasses.replace(attempt, finished=finished, reenter=kept)


def _count(value) -> int:
    """A GPU count as the IR writes it: a number, its text, or nothing."""
    try:
        return int(float(value or 0))
    except (TypeError, ValueError):
        return 0


def _outputs(launch: Launch, output_file: str) -> Attempt:
    """The step's outputs: from its executor output (Python steps) or the files it wrote."""
    try:
        produced = placeholders.read_executor_output(output_file)
    except ValueError as exc:
        return Attempt(0, {}, f"its executor output is not JSON: {exc}")
    outputs = dict(produced.get("parameterValues", {}))
    for name, spec in launch.output_defs.get("parameters", {}).items():
        if name in outputs:
            continue
        try:
            outputs[name] = placeholders.read_parameter(launch.out_params[name], spec["parameterType"])
        except (OSError, ValueError) as exc:
            return Attempt(0, {}, f"output {name!r}: {exc}")
    for name, listing in produced.get("artifacts", {}).items():
        if name in launch.out_artifacts and listing.get("artifacts"):
            launch.out_artifacts[name]["metadata"] = listing["artifacts"][0].get("metadata", {})
    return Attempt(0, outputs)
