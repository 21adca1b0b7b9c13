"""`kfyaml`: argument parsing and printing only; the work is in `api`.

Exit codes: 0 success (lint: no problems), 1 problems in a pipeline file,
2 a usage error. Only the standard library and the compile path are imported
here, so `kfyaml compile` and `kfyaml lint` start fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import api
from .codes import INTERNAL_ERROR
from .diagnostics import Severity, render


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kfyaml", description="Compile pipeline.yaml to Kubeflow Pipelines v2 IR.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    comp = sub.add_parser("compile", help="check a pipeline and write its KFP IR")
    comp.add_argument("file", metavar="FILE")
    comp.add_argument("-o", "--output", metavar="OUT", default="-", help="where to write the IR (default: - for stdout)")
    lint = sub.add_parser("lint", help="check pipelines without writing anything")
    lint.add_argument("files", nargs="+", metavar="FILE")
    lint.add_argument("--format", choices=["text", "json", "github", "sarif"], default="text",
                      help="text (default), json, github (workflow annotations) or sarif (SARIF 2.1.0)")
    sub.add_parser("schema", help="print the JSON Schema of pipeline.yaml")
    run = sub.add_parser("run", help="compile and run a pipeline on this machine (no cluster, no Docker)")
    run.add_argument("file", metavar="FILE")
    run.add_argument("--param", action="append", default=[], metavar="K=V", help="set a pipeline param (repeatable)")
    run.add_argument("--workdir", default=".kfyaml", help="where runs, logs and the cache live (default: .kfyaml)")
    run.add_argument("--no-cache", action="store_true", help="run every step, even when a cached result exists")
    run.add_argument("--max-workers", type=int, default=None, metavar="N",
                     help="steps running at once (default: the number of CPUs)")
    run.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    submit = sub.add_parser("submit", help="compile and submit a pipeline to a KFP API server")
    submit.add_argument("file", metavar="FILE")
    submit.add_argument("--host", required=True, metavar="URL", help="the KFP API endpoint, e.g. http://localhost:8080")
    submit.add_argument("--namespace", default=None, help="the Kubeflow profile namespace (multi-user KFP)")
    submit.add_argument("--experiment", default="Default", metavar="NAME", help="the experiment (created if missing)")
    submit.add_argument("--run-name", default=None, metavar="NAME")
    submit.add_argument("--param", action="append", default=[], metavar="K=V", help="set a pipeline param (repeatable)")
    submit.add_argument("--pipeline", default=None, metavar="NAME",
                        help="upload as this pipeline (a new version when it exists) and run that")
    submit.add_argument("--version", default=None, metavar="V", help="the version's name, with --pipeline")
    submit.add_argument("--wait", action="store_true", help="follow the run; exit 0 only when it succeeds")
    submit.add_argument("--timeout", type=float, default=3600, metavar="S", help="how long --wait waits (seconds)")
    submit.add_argument("--token", default=None, help="bearer token (default: $KFP_TOKEN); never printed")
    return parser


def _print_diagnostics(result: api.Result, stream, shown: set | None = None) -> None:
    for diag in result.diagnostics:  # a diagnostic may point into another file (a python step's .py)
        if shown is not None:
            if diag in shown:
                continue
            shown.add(diag)
        print(render(diag, result.lines if diag.file == result.file else None), file=stream)


def _write_atomically(path: str, text: str) -> None:
    """Write next to the target and rename, so a failure never leaves half a file."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".kfyaml-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def cmd_compile(args) -> int:
    result = api.compile_file(args.file)
    _print_diagnostics(result, sys.stderr)
    if not result.ok:
        errors = sum(d.severity is Severity.ERROR for d in result.diagnostics)
        print(f"{args.file}: {errors} error(s); nothing was written", file=sys.stderr)
        return 1
    text = result.ir_text()
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    try:
        _write_atomically(args.output, text)
    except OSError as exc:
        print(f"kfyaml: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


def cmd_lint(args) -> int:
    results = [api.check_file(path) for path in args.files]
    failed = any(r.fails_lint for r in results)
    everything = list(dict.fromkeys(d for r in results for d in r.diagnostics))  # a configuration's problems once
    if args.format == "json":
        json.dump([d.to_json() for d in everything], sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.format == "github":
        from .reporters import github

        sys.stdout.write(github(everything))
    elif args.format == "sarif":
        from .reporters import sarif

        json.dump(sarif(everything), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        shown: set = set()
        for result in results:
            _print_diagnostics(result, sys.stdout, shown)
    return 1 if failed else 0


def cmd_schema(args) -> int:
    from kfyaml.schemas import pipeline_schema_text

    sys.stdout.write(pipeline_schema_text())
    return 0


def _params(pairs: list[str]) -> dict | None:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            print(f"kfyaml: --param takes NAME=VALUE, not {pair!r}", file=sys.stderr)
            return None
        out[key] = value
    return out


def _compiled(path: str) -> api.Result | None:
    """Compile for run/submit, printing any diagnostics; None when there are errors."""
    result = api.compile_file(path)
    _print_diagnostics(result, sys.stderr)
    return result if result.ok else None


def cmd_run(args) -> int:
    params = _params(args.param)
    if params is None:
        return 2
    if args.max_workers is not None and args.max_workers < 1:
        print("kfyaml: --max-workers must be at least 1", file=sys.stderr)
        return 2
    result = _compiled(args.file)
    if result is None:
        return 1
    from kfyaml.runner import display
    from kfyaml.runner import params as run_params
    from kfyaml.runner.engine import Run, RunError

    try:
        bound = run_params.bind(result.pipeline_spec, params)
    except RunError as exc:
        print(f"kfyaml run: {exc}", file=sys.stderr)
        return 2
    progress = display.Progress()  # started only once the params are known to be good
    run = Run(result.pipeline_spec, bound, args.workdir, use_cache=not args.no_cache, max_workers=args.max_workers,
              on_event=progress.event, note=progress.note)
    try:
        outcome = run.execute()
    finally:
        progress.stop()
    if args.json:
        json.dump(display.as_json(run.records, outcome, run.run_dir), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        display.failures(run.records)
    else:
        display.summary(run.records, outcome, run.run_dir)
    if outcome.internal_error:
        print(f"kfyaml run: internal error ({outcome.internal_error}); the traceback is in "
              f"{run.run_dir / 'internal-error.txt'}. Please report it to the kfyaml maintainers "
              f"[{INTERNAL_ERROR.id}]", file=sys.stderr)
    return 0 if outcome.state == "succeeded" else 1


def cmd_submit(args) -> int:
    given = _params(args.param)
    if given is None:
        return 2
    if args.version and not args.pipeline:
        print("kfyaml: --version goes with --pipeline", file=sys.stderr)
        return 2
    result = _compiled(args.file)
    if result is None:
        return 1
    from kfyaml.runner import params as run_params
    from kfyaml.runner.records import RunError
    from kfyaml.runner.submit import SubmitError, submit

    try:  # only what was given: the server applies the defaults
        params = run_params.bind(result.pipeline_spec, given, defaults=False)
    except RunError as exc:
        print(f"kfyaml submit: {exc}", file=sys.stderr)
        return 2
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        package = os.path.join(tmp, os.path.splitext(os.path.basename(args.file))[0] + ".yaml")
        with open(package, "w", encoding="utf-8") as fh:
            fh.write(result.ir_text())
        try:
            return submit(package, args.host, params, namespace=args.namespace, experiment=args.experiment,
                          run_name=args.run_name, pipeline=args.pipeline, version=args.version, wait=args.wait,
                          timeout=args.timeout, token=args.token,
                          poll_seconds=float(os.environ.get("KFYAML_POLL_SECONDS", "5")))
        except SubmitError as exc:
            print(f"kfyaml submit: {exc}", file=sys.stderr)
            return 1


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    handler = {"compile": cmd_compile, "lint": cmd_lint, "schema": cmd_schema, "run": cmd_run,
               "submit": cmd_submit}[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
