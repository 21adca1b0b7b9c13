"""`kfyaml`: argument parsing and printing only; the work is in `api` and the runner.

Exit codes: 0 success (lint: no problems), 1 problems in a pipeline file
(or a failed run), 2 a usage error. Each command imports what it needs when
it runs, so `kfyaml compile` and `kfyaml lint` start fast.

    check.py    compile, lint, schema
    migrate.py  import (KFP IR to kfyaml)
    maintain.py cache (show, prune)
    draw.py     graph (the DAG as a picture), lsp (the language server)
    testing.py  test (pipeline.test.yaml cases on the local engine)
    execute.py  run, submit
    output.py   colour, -q/-v, diagnostics with their source line
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap

from .. import __version__
from .check import UsageError, cmd_compile, cmd_lint, cmd_schema
from .output import Style

_COMMANDS = {
    "compile": ("check a pipeline and write its KFP IR",
                "Check FILE with every check, then write the KFP v2 IR (PipelineSpec, and a PlatformSpec when a step "
                "has Kubernetes settings). Nothing is written when there are errors; a file is written atomically. "
                "Warnings are printed and do not fail.",
                ["kfyaml compile pipeline.yaml                  # the IR on standard output",
                 "kfyaml compile pipeline.yaml -o build/        # build/pipeline.ir.yaml",
                 "kfyaml compile pipeline.yaml -o pipeline.ir.yaml",
                 "cat pipeline.yaml | kfyaml compile - -o out.ir.yaml"]),
    "lint": ("check pipelines without writing anything",
             "Run every check on each FILE and report what is found. Exit 0 when nothing is found, 1 when anything "
             "is (warnings too, unless the configuration says otherwise).",
             ["kfyaml lint pipelines/*.yaml",
              "kfyaml lint --format github pipeline.yaml    # annotations on a pull request",
              "kfyaml lint --format sarif pipeline.yaml > kfyaml.sarif",
              "kfyaml lint -                                 # the pipeline on standard input"]),
    "schema": ("print the JSON Schema of pipeline.yaml",
               "Print the JSON Schema that editors use for completion and checking of pipeline.yaml.",
               ["kfyaml schema > pipeline.schema.json"]),
    "import": ("turn a compiled KFP pipeline (IR) into kfyaml",
               "Read FILE, a pipeline compiled by KFP's Python DSL (any kfp 2.x), and write it as a kfyaml pipeline: "
               "steps named after the tasks, conditions as ${{ }} expressions, loops as for_each, exit handlers as "
               "finally:, Python components as python: steps (long code in steps/*.py), nested pipelines in "
               "pipelines/, Kubernetes settings as kubernetes:. What kfyaml cannot say yet is reported at its line "
               "in FILE, and then nothing is written. The result is checked like any pipeline.",
               ["kfyaml import pipeline.ir.yaml -o pipeline.yaml",
                "kfyaml import pipeline.ir.yaml                 # a one-file result on standard output",
                "python my_pipeline.py && kfyaml import my_pipeline.yaml -o kfyaml/pipeline.yaml --force"]),
    "test": ("run a pipeline's tests (pipeline.test.yaml) on this machine",
             "Run each case of each test FILE: the pipeline runs here with the case's params, its mocked steps give "
             "their outputs without running, and the expectations (steps that ran, were skipped or failed, the branch "
             "taken, outputs, a step's inputs) are checked; a failed one is reported at its line. Exit 0 when every "
             "case passes, 1 otherwise. See docs/testing.md.",
             ["kfyaml test examples/conditional_deploy.test.yaml",
              "kfyaml test pipelines/*.test.yaml --junit-xml report.xml"]),
    "lsp": ("the language server for editors (stdio)",
            "Start the kfyaml Language Server on standard input and output: the editor gets lint's diagnostics as you "
            "type, completion, hover, go to definition, references, rename, quick fixes and an outline. Needs "
            "`pip install 'kfyaml[lsp]'`. See docs/editors.md.",
            ["kfyaml lsp"]),
    "graph": ("draw the pipeline's DAG",
              "Print the steps and what they wait for as Mermaid (renders on GitHub), Graphviz DOT or text: groups, "
              "loops and branches as clusters, conditions on the edges, finally: steps apart.",
              ["kfyaml graph pipeline.yaml                     # Mermaid",
               "kfyaml graph pipeline.yaml --format dot | dot -Tsvg -o pipeline.svg",
               "kfyaml graph pipeline.yaml --format ascii"]),
    "run": ("compile and run a pipeline on this machine (no cluster, no Docker)",
            "Compile FILE and run its IR here: independent steps at the same time, conditions, loops, retries, "
            "and a cache by content, so a second run with nothing changed executes nothing. Python steps get a "
            "virtual environment per requirement set (kept in ~/.cache/kfyaml/venvs).",
            ["kfyaml run examples/language_tour.yaml",
             "kfyaml run pipeline.yaml --param threshold=0.9 --param models='[\"svm\", \"rf\"]'",
             "kfyaml run pipeline.yaml --no-cache --max-workers 2",
             "kfyaml run pipeline.yaml --json > result.json"]),
    "cache": ("show or prune the run cache and the step environments",
              "Show how many cached step results (in WORKDIR/cache) and step environments (in ~/.cache/kfyaml/venvs) "
              "there are and their size; with `prune`, remove those not used for the given time.",
              ["kfyaml cache",
               "kfyaml cache prune --older-than 7d",
               "kfyaml cache prune --older-than 12h --workdir build/.kfyaml"]),
    "lock": ("pin remote `uses:` in kfyaml.lock",
             "Fetch every remote `uses:` of the pipelines (git repositories at a tag, branch or commit; HTTPS files "
             "with `sha256:`), with the remote pipelines they use in turn, and pin each to its commit and each file "
             "to its SHA-256 in kfyaml.lock at the project root. An existing pin is kept; a tag that now points at "
             "another commit is an error naming both, until `--update`. `--check` changes nothing and uses no "
             "network, for CI.",
             ["kfyaml lock",
              "kfyaml lock pipelines/*.yaml --check",
              "kfyaml lock --update git+https://github.com/acme/steps//train.yaml@v1.3"]),
    "vendor": ("copy the locked remote components into the repository",
               "Copy every file kfyaml.lock pins into kfyaml_vendor/ beside it (named by SHA-256), so that a clone "
               "compiles with no cache and no network. Each copy is checked against the lock.",
               ["kfyaml vendor"]),
    "ui": ("see local runs in the browser: the DAG, live states, logs, artifacts and metrics",
           "Serve the run store (WORKDIR/runs) on a local web page: runs newest first, a run's DAG with each step's "
           "state as it changes, a step's inputs, outputs, log and artifacts (KFP metrics drawn as tables, confusion "
           "matrices and ROC curves), and two or more runs compared. Listens on 127.0.0.1 only unless --host says "
           "otherwise; the printed URL carries the token the page needs. Ctrl-C stops it.",
           ["kfyaml ui",
            "kfyaml ui --port 8765 --workdir build/.kfyaml",
            "kfyaml run examples/training_pipeline.yaml --ui"]),
    "report": ("write one local run as a self-contained HTML file or as Markdown",
               "Write the run RUN (a run folder's name, its path, or `latest`) as one HTML file with its DAG, states, "
               "metrics and plots inside it (no script, no network), or as Markdown for a pull-request comment.",
               ["kfyaml report latest -o report.html",
                "kfyaml report latest --format markdown >> \"$GITHUB_STEP_SUMMARY\""]),
    "runs": ("list, inspect, cancel or retry runs on a KFP server",
             "See and stop what runs: list runs (of an experiment, in a state), get one with each task's state, cancel "
             "(terminate) or retry one. `runs get` exits 0 when the run succeeded, 1 when it ended otherwise, 3 while it "
             "is still going.",
             ["kfyaml runs list --host $KFP_HOST --state RUNNING --json",
              "kfyaml runs get 7c1e... --host $KFP_HOST",
              "kfyaml runs cancel 7c1e... --host $KFP_HOST"]),
    "schedules": ("list, pause, resume or delete recurring runs on a KFP server",
                  "Manage the KFP recurring runs that `kfyaml submit --schedule` made (or any): list them, pause or "
                  "resume one by name or id, delete one. Exit 0, 1 when the server says no or the schedule is unknown.",
                  ["kfyaml schedules list --host $KFP_HOST --json",
                   "kfyaml schedules pause nightly --host $KFP_HOST"]),
    "submit": ("compile and submit a pipeline to a KFP API server",
               "Compile FILE and start a run on a Kubeflow Pipelines server through kfp.Client (needs "
               "`pip install 'kfyaml[kfp]'`). With --pipeline, upload it as a pipeline (a new version when it "
               "exists) first; with --wait, follow the run and exit 0 only when it succeeds.",
               ["kfyaml submit pipeline.yaml --host http://localhost:8080",
                "kfyaml submit pipeline.yaml --host $KFP_HOST --pipeline churn --wait --timeout 7200",
                "KFP_TOKEN=... kfyaml submit pipeline.yaml --host https://kfp.example.com --namespace team-a"]),
}
_PARAM_HELP = ("set a pipeline param (repeatable); VALUE is typed as the param is declared: text for a string, "
               "a number, true/false, or JSON for a list or dict")


def _common() -> argparse.ArgumentParser:
    """Options every command takes, before or after its name."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--color", choices=["auto", "always", "never"], default=argparse.SUPPRESS,
                        help="colour the output: auto (default: on a terminal, unless NO_COLOR is set), always, never")
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="say less: diagnostics without their source line; run without progress")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="say more: a line per file with its counts, where output went")
    return common


def _subparser(sub, name: str, common) -> argparse.ArgumentParser:
    summary, description, examples = _COMMANDS[name]
    return sub.add_parser(name, help=summary, description=textwrap.fill(description, 79), parents=[common],
                          epilog="examples:\n" + "\n".join(f"  {e}" for e in examples),
                          formatter_class=argparse.RawDescriptionHelpFormatter)


_FROZEN_HELP = ("never fetch: a remote `uses:` not in kfyaml.lock is an error (for CI); without it, one not locked "
                "yet is fetched and locked")


def _parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="kfyaml", parents=[common],
                                     description="Compile pipeline.yaml to Kubeflow Pipelines v2 IR, check it, run it "
                                                 "here or submit it to KFP.",
                                     epilog="`kfyaml COMMAND --help` describes a command, with examples.")
    parser.add_argument("--version", action="version", version=f"kfyaml {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    comp = _subparser(sub, "compile", common)
    comp.add_argument("file", metavar="FILE", help="the pipeline, or - for standard input")
    comp.add_argument("-o", "--output", metavar="OUT", default="-",
                      help="a file, a folder (for FOLDER/<name>.ir.yaml), or - for standard output (the default)")
    comp.add_argument("--frozen", action="store_true", help=_FROZEN_HELP)
    lint = _subparser(sub, "lint", common)
    lint.add_argument("files", nargs="+", metavar="FILE", help="pipelines, or - for standard input")
    lint.add_argument("--format", choices=["text", "json", "github", "sarif"], default="text",
                      help="text (default), json, github (workflow annotations) or sarif (SARIF 2.1.0)")
    lint.add_argument("--frozen", action="store_true", help=_FROZEN_HELP)
    _subparser(sub, "schema", common)
    test = _subparser(sub, "test", common)
    test.add_argument("files", nargs="+", metavar="FILE", help="test files (pipeline.test.yaml)")
    test.add_argument("--junit-xml", metavar="PATH", default=None, help="also write a JUnit XML report")
    test.add_argument("--workdir", default=None, help="where the test runs live (default: .kfyaml at the project root)")
    _subparser(sub, "lsp", common)
    graph = _subparser(sub, "graph", common)
    graph.add_argument("file", metavar="FILE")
    graph.add_argument("--format", choices=["mermaid", "dot", "ascii"], default="mermaid")
    graph.add_argument("-o", "--output", metavar="OUT", default="-", help="a file, or - for standard output (default)")
    imp = _subparser(sub, "import", common)
    imp.add_argument("file", metavar="FILE", help="the compiled IR (YAML), or - for standard input")
    imp.add_argument("-o", "--output", metavar="OUT", default="-",
                     help="the pipeline file to write (other files go beside it), or - for standard output")
    imp.add_argument("--force", action="store_true", help="replace files that already exist")
    imp.add_argument("--source", metavar="PIPELINE.py", default=None,
                     help="the Python file that defines the pipeline: steps KFP numbered (announce-2) are named "
                     "after the variables holding their tasks (read, never run)")
    run = _subparser(sub, "run", common)
    run.add_argument("file", metavar="FILE")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help=_PARAM_HELP)
    run.add_argument("--workdir", default=None, help="where runs, logs and the cache live (default: .kfyaml at the "
                     "project root: the folder with .kfyaml.yaml or the git repository's root)")
    run.add_argument("--no-cache", action="store_true", help="run every step, even when a cached result exists")
    run.add_argument("--max-workers", type=int, default=None, metavar="N",
                     help="steps running at once (default: the number of CPUs)")
    run.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    run.add_argument("--python", metavar="PATH", default=None,
                     help="the Python whose packages steps use (default: the one running kfyaml); missing packages "
                          "go into a cached environment layered over it")
    run.add_argument("--secret", action="append", default=[], metavar="NAME=FILE",
                     help="the keys of Kubernetes secret NAME, from an env file of KEY=VALUE lines (repeatable); "
                          "without it, a secret's env var is taken from this environment")
    run.add_argument("--config-map", action="append", default=[], metavar="NAME=FILE",
                     help="the keys of config map NAME, from an env file (repeatable)")
    run.add_argument("--frozen", action="store_true", help=_FROZEN_HELP)
    again = run.add_mutually_exclusive_group()
    again.add_argument("--only", metavar="STEP", default=None, help="run just STEP (a group: its steps); every other "
                       "step's outputs come from the last run of this file")
    again.add_argument("--from", dest="from_step", metavar="STEP", default=None, help="run STEP and every step after "
                       "it; the steps before come from the last run of this file")
    run.add_argument("--pause-on-error", action="store_true", help="keep a failed step ready to re-enter: a script "
                     "in its run folder opens a shell where it ran, with its environment, or runs it again (under pdb "
                     "for Python steps); the end of the run prints how")
    run.add_argument("--ui", action="store_true", help="serve `kfyaml ui` for this run and print its URL; the page "
                     "follows the run live and stays up after it ends, until Ctrl-C")
    run.add_argument("--volume", action="append", default=[], metavar="CLAIM=DIR",
                     help="the local folder for PersistentVolumeClaim CLAIM, linked at the step's mount path while "
                          "the step runs (repeatable)")
    lock = _subparser(sub, "lock", common)
    lock.add_argument("files", nargs="*", metavar="FILE", help="the pipelines (default: every pipeline under the "
                      "project root)")
    lock.add_argument("--update", nargs="?", const="", default=None, metavar="NAME",
                      help="move the pin of NAME (a `uses:` as written), or of every one without NAME")
    lock.add_argument("--images", action="store_true", help="also pin the digest of each image the remote components "
                      "name by tag (asked of the image's registry); the IR then names `image:tag@sha256:...`")
    lock.add_argument("--check", action="store_true", help="change nothing, use no network: exit 1 when the lock is "
                      "stale (a remote `uses:` not in it, or an entry no pipeline uses) or the cache or vendored copy "
                      "does not hold what it pins")
    vendor = _subparser(sub, "vendor", common)
    vendor.add_argument("files", nargs="*", metavar="FILE", help="the pipelines (default: every pipeline under the "
                        "project root)")
    ui = _subparser(sub, "ui", common)
    ui.add_argument("--workdir", default=None, help="the work folder whose runs to show (default: .kfyaml at the "
                    "project root of the current folder)")
    ui.add_argument("--port", type=int, default=0, help="the port (default: a free one, printed)")
    ui.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1, this machine "
                    "only); anything else lets other machines read your runs with the token")
    report = _subparser(sub, "report", common)
    report.add_argument("run", metavar="RUN", help="a run folder's name, its path, or `latest`")
    report.add_argument("-o", "--output", metavar="OUT", default="-", help="the file to write, or - for standard output")
    report.add_argument("--format", choices=["html", "markdown"], default="html")
    report.add_argument("--workdir", default=None, help="the work folder holding the run (default: .kfyaml at the "
                        "project root of the current folder)")
    cache = _subparser(sub, "cache", common)
    cache.add_argument("action", nargs="?", choices=["show", "prune"], default="show",
                       help="show (default) or prune")
    cache.add_argument("--older-than", metavar="AGE", default=None,
                       help="with prune: remove what was not used for AGE (30m, 12h, 7d)")
    cache.add_argument("--workdir", default=None, help="the run folder whose cache to look at (default: .kfyaml at the "
                       "project root)")
    submit = _subparser(sub, "submit", common)
    submit.add_argument("file", metavar="FILE")
    submit.add_argument("--host", required=True, metavar="URL", help="the KFP API endpoint, e.g. http://localhost:8080")
    submit.add_argument("--namespace", default=None, help="the Kubeflow profile namespace (multi-user KFP)")
    submit.add_argument("--experiment", default="Default", metavar="NAME", help="the experiment (created if missing)")
    submit.add_argument("--run-name", default=None, metavar="NAME", help="the run's name (default: file and time)")
    submit.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help=_PARAM_HELP)
    submit.add_argument("--pipeline", default=None, metavar="NAME",
                        help="upload as this pipeline (a new version when it exists) and run that")
    submit.add_argument("--version", default=None, metavar="V", help="the version's name, with --pipeline")
    submit.add_argument("--wait", action="store_true", help="follow the run; exit 0 only when it succeeds")
    submit.add_argument("--timeout", type=float, default=3600, metavar="S", help="how long --wait waits (seconds)")
    submit.add_argument("--token", default=None, help="bearer token (default: $KFP_TOKEN); never printed, but visible "
                                                          "in ps: prefer KFP_TOKEN or --token-file")
    submit.add_argument("--token-file", default=None, metavar="PATH", help="read the bearer token from a file")
    submit.add_argument("--schedule", action="store_true",
                        help="create (or update in place) the KFP recurring run the file's `schedule:` describes")
    submit.add_argument("--schedule-name", default=None, metavar="NAME", help="the recurring run's name (implies --schedule)")
    runs = _subparser(sub, "runs", common)
    runs.add_argument("action", choices=["list", "get", "cancel", "retry"])
    runs.add_argument("run_id", nargs="?", default=None, metavar="ID", help="the run (not for list)")
    runs.add_argument("--host", required=True, metavar="URL")
    runs.add_argument("--experiment", default=None, metavar="NAME", help="list: only this experiment's runs")
    runs.add_argument("--state", default=None, help="list: only runs in this state (RUNNING, FAILED, ...)")
    runs.add_argument("--namespace", default=None)
    runs.add_argument("--token-file", default=None, metavar="PATH", help="the bearer token (default: $KFP_TOKEN)")
    runs.add_argument("--json", action="store_true", help="print JSON")
    schedules = _subparser(sub, "schedules", common)
    schedules.add_argument("action", choices=["list", "pause", "resume", "delete"])
    schedules.add_argument("name", nargs="?", default=None, help="the schedule's name or id (not for list)")
    schedules.add_argument("--host", required=True, metavar="URL")
    schedules.add_argument("--experiment", default=None, metavar="NAME", help="only this experiment's schedules")
    schedules.add_argument("--namespace", default=None)
    schedules.add_argument("--token-file", default=None, metavar="PATH", help="the bearer token (default: $KFP_TOKEN)")
    schedules.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    return _main(argv)[1]


def _main(argv: list[str] | None) -> tuple[str | None, int]:
    """The command given, and its exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return None, 2
    return args.command, _dispatch(parser, args)


def _dispatch(parser: argparse.ArgumentParser, args) -> int:
    style = Style(getattr(args, "color", "auto"), getattr(args, "quiet", False), getattr(args, "verbose", False))
    if style.quiet and style.verbose:
        parser.error("-q and -v go one way each; give one")
    if args.command in ("compile", "lint"):  # short-lived: see api.gc_paused
        import gc

        gc.disable()
    if args.command in ("compile", "lint", "run", "submit", "test", "graph"):  # remote `uses:` not locked yet
        from ..remote import session

        session.allow_network(not getattr(args, "frozen", False),
                              report=lambda text: print(f"kfyaml: {text}", file=sys.stderr, flush=True))
    try:
        return _handler(args.command)(args, style)
    except UsageError as exc:
        print(f"kfyaml: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


# Each command's module, imported only when that command runs: `lint` must not pay for `test` or `lsp`.
_HANDLERS = {"import": ("migrate", "cmd_import"), "run": ("execute", "cmd_run"), "submit": ("execute", "cmd_submit"),
             "runs": ("execute", "cmd_runs"), "schedules": ("execute", "cmd_schedules"),
             "cache": ("maintain", "cmd_cache"), "lsp": ("draw", "cmd_lsp"), "graph": ("draw", "cmd_graph"),
             "test": ("testing", "cmd_test"), "ui": ("look", "cmd_ui"), "report": ("look", "cmd_report"),
             "lock": ("locks", "cmd_lock"), "vendor": ("locks", "cmd_vendor")}


def _handler(command: str):
    if command in ("compile", "lint", "schema"):
        return {"compile": cmd_compile, "lint": cmd_lint, "schema": cmd_schema}[command]
    import importlib

    module, name = _HANDLERS[command]
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def entry() -> None:
    """The `kfyaml` command. After compile or lint, the process ends without tearing down what it built
    (for a large pipeline a fifth of the time); output is flushed first."""
    command, code = _main(None)
    if command in ("compile", "lint"):
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (BrokenPipeError, OSError):
            pass
        os._exit(code)
    sys.exit(code)
