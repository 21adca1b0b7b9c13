"""`kfyaml run` and `kfyaml submit`: a compiled pipeline, on this machine or on a KFP server.

What these need beyond the compile path (the runner, rich, kfp) is imported
here, when the command runs; a missing optional part is named with the
command that installs it.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile

from .. import api
from ..codes import INTERNAL_ERROR
from ..config import default_workdir
from . import output
from .check import UsageError, check_source
from .output import Style
from .recording import record_header

EXTRAS = {"kfp": ("kfp", "the KFP SDK"), "lsp": ("pygls", "the language server library")}  # extra -> (module it brings, what it is)


def require(extra: str, command: str) -> None:
    """Say which extra to install when a command needs a package that is not here."""
    module, what = EXTRAS[extra]
    try:
        __import__(module)
    except ImportError:
        raise UsageError(f"{command} needs {what} ({module}), which is not installed: "
                         f"pip install 'kfyaml[{extra}]'") from None


def params(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--param takes NAME=VALUE, not {pair!r}")
        out[key] = value
    return out


def _compiled(path: str, style: Style) -> api.Result | None:
    """Compile for run/submit, printing any diagnostics; None when there are errors. `-` reads standard
    input, as lint and compile do (paths in it are relative to the current folder)."""
    result = check_source(path, lower=True)
    output.diagnostics(result, sys.stderr, style)
    return result if result.ok else None


def cmd_run(args, style: Style) -> int:
    given = params(args.param)
    if args.max_workers is not None and args.max_workers < 1:
        raise UsageError("--max-workers must be at least 1")
    result = _compiled(args.file, style)
    if result is None:
        return 1
    from kfyaml.runner import display
    from kfyaml.runner import params as run_params
    from kfyaml.runner.engine import Run, RunError

    try:
        bound = run_params.bind(result.pipeline_spec, given)
    except RunError as exc:
        print(f"kfyaml run: {exc}", file=sys.stderr)
        return 2
    from kfyaml.runner import environments, local_platform

    try:
        local = local_platform.Local(_mapped(args.secret, "--secret"), _mapped(args.config_map, "--config-map"),
                                     dict(os.environ), _volumes(args.volume))
        python = environments.probe(os.path.abspath(args.python) if args.python else None).executable
    except (local_platform.LocalValueError, environments.EnvironmentError_) as exc:
        raise UsageError(str(exc)) from None
    base_dir = os.path.dirname(os.path.abspath(args.file))
    args.workdir = args.workdir or default_workdir(args.file)
    try:  # the run's folder, its logs and the cache live here: say so now rather than fail mid-run
        os.makedirs(os.path.join(args.workdir, "runs"), exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=os.path.join(args.workdir, "runs"), delete=True)
        probe.close()
    except OSError as exc:
        raise UsageError(f"cannot write the run folder {args.workdir}: {exc.strerror or exc}; "
                         "choose another with --workdir") from None
    mocks = _reused(args, style)
    progress = display.Progress(color=style.colored(sys.stderr), quiet=style.quiet)  # once the params are good
    recorder: list = []  # run.json for `kfyaml ui` and `kfyaml report`, once the run has its folder

    def on_event(record):
        progress.event(record)
        if recorder:
            recorder[0].event(record)

    run = Run(result.pipeline_spec, bound, args.workdir, use_cache=not args.no_cache, max_workers=args.max_workers,
              on_event=on_event, note=progress.note, labels=step_labels(result),
              platform=result.platform_spec, base_dir=base_dir, python=python, local=local, mocks=mocks,
              pause_on_error=args.pause_on_error)
    from kfyaml.runner.run_record import Recorder

    recorder.append(Recorder(run.run_dir, record_header(result, args.file, bound), lambda: run.records))
    ui = None
    if args.ui:
        from .look import open_in_browser, start_ui

        ui = start_ui(args.workdir, "127.0.0.1", 0)
        print(f"kfyaml run: watch it at {ui.url(run.run_dir.name)}", file=sys.stderr, flush=True)
        open_in_browser(ui.url(run.run_dir.name))
    outcome = None
    try:
        outcome = _until_done(run)
    finally:
        progress.stop()
        recorder[0].finish(outcome.state if outcome else "failed", outcome.error if outcome else "kfyaml stopped")
    if args.json:
        json.dump(display.as_json(run.records, outcome, run.run_dir), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        display.failures(run.records)
    else:
        display.summary(run.records, outcome, run.run_dir, color=style.colored(sys.stderr), quiet=style.quiet)
    if outcome.internal_error:
        print(f"kfyaml run: internal error ({outcome.internal_error}); the traceback is in "
              f"{run.run_dir / 'internal-error.txt'}. Please report it to the kfyaml maintainers "
              f"[{INTERNAL_ERROR.id}]", file=sys.stderr)
    if ui is not None:
        _keep_serving(ui, run.run_dir.name)
    if outcome.state == "cancelled":
        return 143 if getattr(run, "terminated", False) else 130
    return {"succeeded": 0}.get(outcome.state, 1)


def _reused(args, style: Style) -> dict | None:
    """`--only STEP` / `--from STEP`: the other steps' outputs from the last run of this file."""
    step = args.only or args.from_step
    if step is None:
        return None
    from kfyaml.runner import rerun
    from kfyaml.runner.records import RunError

    try:
        folder, data = rerun.last_run(args.workdir, args.file)
        chosen = rerun.chosen(data, step, following=args.from_step is not None)
        mocks = rerun.mocks_from(folder, data, chosen)
    except RunError as exc:
        raise UsageError(str(exc)) from None
    if not style.quiet:
        print(f"kfyaml run: running {', '.join(sorted(chosen))}; the other steps' outputs come from {folder.name}",
              file=sys.stderr, flush=True)
    return mocks


def _keep_serving(ui, run_id: str) -> None:
    """`run --ui`: the page stays up after the run, until Ctrl-C (or SIGTERM)."""
    import time

    from .look import stop_on_signals

    stop_on_signals()
    try:
        print(f"kfyaml run: the run is done; its page stays up at {ui.url(run_id)} until Ctrl-C", file=sys.stderr,
              flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        ui.close()


def _mapped(given: list[str], flag: str) -> dict[str, dict[str, str]]:
    """`NAME=FILE` pairs: each FILE an env file with the secret's (or config map's) keys."""
    from kfyaml.runner.local_platform import read_env_file

    out = {}
    for item in given:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"{flag} takes NAME=FILE (an env file of KEY=VALUE lines), not {item!r}")
        out[name] = read_env_file(path)
    return out


def _schedule(args, result, bound: dict, token: str | None) -> int:
    """`submit --schedule`: the file's `schedule:` as a KFP recurring run, created or updated in place."""
    import dataclasses

    from kfyaml.runner.schedules import apply

    plan = result.pipeline.schedule
    if plan is None:
        raise UsageError(f"{args.file} has no `schedule:`; add one (see docs/language.md#schedules)")
    plan = dataclasses.asdict(plan)
    if args.schedule_name:
        plan["name"] = args.schedule_name
    params = {**plan["params"], **bound}
    with tempfile.TemporaryDirectory() as tmp:
        package = os.path.join(tmp, "pipeline.yaml")
        with open(package, "w", encoding="utf-8") as fh:
            fh.write(result.ir_text())
        return _reporting("submit", lambda: apply(package, result.pipeline_spec, plan, args.host, params,
                                                  args.experiment, args.namespace, token))


def cmd_schedules(args, style: Style) -> int:
    require("kfp", "kfyaml schedules")
    from kfyaml.runner.schedules import manage

    if args.action != "list" and not args.name:
        raise UsageError(f"schedules {args.action} needs the schedule's name (or id)")
    token = _token(args, "schedules")
    return _reporting("schedules", lambda: manage(args.action, args.name, args.host, args.experiment,
                                                  args.namespace, token, args.json))


def cmd_runs(args, style: Style) -> int:
    require("kfp", "kfyaml runs")
    from kfyaml.runner.runs import command

    if args.action != "list" and not args.run_id:
        raise UsageError(f"runs {args.action} needs the run's id")
    token = _token(args, "runs")
    return _reporting("runs", lambda: command(args.action, args.run_id, args.host, args.experiment, args.state,
                                              args.namespace, token, args.json))


def _token(args, command: str) -> str | None:
    """`--token-file`, else `--token` (with a warning: `ps` shows it), else None (the environment's)."""
    token = getattr(args, "token", None)
    if token:
        print(f"kfyaml {command}: warning: --token is visible to other users of this machine (ps); prefer "
              "KFP_TOKEN or --token-file", file=sys.stderr)
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as fh:
                token = fh.read().strip()
        except OSError as exc:
            raise UsageError(f"cannot read --token-file {args.token_file}: {exc.strerror or exc}") from None
    return token


def _reporting(command: str, call) -> int:
    """Run a command that talks to KFP; its SubmitError (every API problem, see runner.submit.api_errors)
    is one line and exit 1."""
    from kfyaml.runner.submit import SubmitError

    try:
        return call()
    except SubmitError as exc:
        print(f"kfyaml {command}: {exc}", file=sys.stderr)
        return 1


def _volumes(given: list[str]) -> dict[str, str]:
    """`CLAIM=DIR` pairs: the local folder each PersistentVolumeClaim stands for."""
    out = {}
    for item in given:
        claim, sep, folder = item.partition("=")
        if not sep or not claim or not folder:
            raise UsageError(f"--volume takes CLAIM=DIR, not {item!r}")
        if not os.path.isdir(folder):
            raise UsageError(f"--volume {item}: {folder} is not a folder")
        out[claim] = os.path.abspath(folder)
    return out


def step_labels(result: api.Result) -> dict[str, str]:
    """IR task name -> the step id the user wrote (`train_model` runs as task `train-model`)."""
    from ..lower.state import task_name

    return {task_name(step.id): step.id for step in result.pipeline.all_steps()} if result.pipeline else {}


class _Terminated(Exception):
    """SIGTERM arrived: the run is stopped like Ctrl-C, and kfyaml exits 143."""


def _until_done(run):
    """Run in a thread, so that Ctrl-C here cancels the run cleanly: running steps are stopped, the rest
    marked cancelled, and the summary still printed."""
    import threading

    outcome: list = []
    done = threading.Event()  # waited on rather than Thread.join, which Ctrl-C can leave unreliable

    def execute():
        try:
            outcome.append(run.execute())
        except BaseException as exc:  # handed to the main thread, which reports it
            outcome.append(exc)
        finally:
            done.set()

    import signal

    def terminated(signum, frame):  # SIGTERM (a CI job cancelled, `kill`): stop the run as Ctrl-C does
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminated)
    threading.Thread(target=execute, daemon=True).start()
    try:
        while not done.wait(0.2):
            pass
    except (KeyboardInterrupt, _Terminated) as exc:
        run.terminated = isinstance(exc, _Terminated)
        run.cancel()
        done.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def cmd_submit(args, style: Style) -> int:
    given = params(args.param)
    if args.version and not args.pipeline:
        raise UsageError("--version goes with --pipeline")
    require("kfp", "kfyaml submit")
    result = _compiled(args.file, style)
    if result is None:
        return 1
    import tempfile

    from kfyaml.runner import params as run_params
    from kfyaml.runner.records import RunError
    from kfyaml.runner.submit import submit

    try:  # only what was given: the server applies the defaults
        bound = run_params.bind(result.pipeline_spec, given, defaults=False)
    except RunError as exc:
        print(f"kfyaml submit: {exc}", file=sys.stderr)
        return 2
    token = _token(args, "submit")
    if args.schedule or args.schedule_name:
        return _schedule(args, result, bound, token)
    with tempfile.TemporaryDirectory() as tmp:
        package = os.path.join(tmp, os.path.splitext(os.path.basename(args.file))[0] + ".yaml")
        with open(package, "w", encoding="utf-8") as fh:
            fh.write(result.ir_text())
        return _reporting("submit", lambda: submit(
            package, args.host, bound, namespace=args.namespace, experiment=args.experiment, run_name=args.run_name,
            pipeline=args.pipeline, version=args.version, wait=args.wait, timeout=args.timeout, token=token,
            poll_seconds=float(os.environ.get("KFYAML_POLL_SECONDS", "5")),
            out=io.StringIO() if style.quiet else sys.stderr))
