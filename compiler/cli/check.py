"""`kfyaml compile`, `kfyaml lint`, `kfyaml schema`: the compile path, fast to start.

Only the standard library and the compile path are imported here: no kfp,
torch, scikit-learn or pandas.
"""

from __future__ import annotations

import json
import os
import sys

from .. import api
from ..codes import Severity
from . import output
from .output import Style

STDIN = "-"
STDIN_NAME = "<stdin>"


class UsageError(Exception):
    """A mistake in how the command was called: exit 2 with this message."""


def check_source(path: str, lower: bool) -> api.Result:
    if path == STDIN:
        raw = sys.stdin.buffer.read()
        return api.compile_bytes(raw, STDIN_NAME, lower=lower)
    return api.compile_file(path) if lower else api.check_file(path)


def target(output_arg: str, source: str, result: api.Result) -> str:
    """Where `-o` puts the IR: a file, or `<folder>/<name>.ir.yaml` for a folder."""
    if os.path.isdir(output_arg):
        stem = (os.path.splitext(os.path.basename(source))[0] if source != STDIN
                else result.pipeline_spec["pipelineInfo"]["name"])
        return os.path.join(output_arg, f"{stem}.ir.yaml")
    if output_arg.endswith(("/", os.sep)):  # a folder by its trailing slash: made, as `mkdir -p` would
        try:
            os.makedirs(output_arg, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot write {output_arg}: {exc.strerror or exc}") from None
        return target(output_arg, source, result)
    folder = os.path.dirname(os.path.abspath(output_arg))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {output_arg}: the folder {os.path.dirname(output_arg) or folder} does not exist")
    return output_arg


def write_output(output_arg: str, text: str) -> None:
    """`-o OUT` of a command that writes one text: standard output for `-`, else OUT, written atomically."""
    if output_arg == STDIN:
        sys.stdout.write(text)
        return
    try:
        write_atomically(output_arg, text)
    except OSError as exc:
        raise UsageError(f"cannot write {output_arg}: {exc.strerror or exc}") from None


def write_atomically(path: str, text: str) -> None:
    """Write next to the target and rename, so a failure never leaves half a file."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=".kfyaml-", suffix=".tmp", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        # mkstemp makes the file 0600: give it the mode it replaces, or what a new file gets (umask)
        try:
            mode = os.stat(path).st_mode & 0o7777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def cmd_compile(args, style: Style) -> int:
    result = check_source(args.file, lower=True)
    output.diagnostics(result, sys.stderr, style)
    if not result.ok:
        errors = sum(d.severity is Severity.ERROR for d in result.diagnostics)
        print(f"{result.file}: {errors} error(s); nothing was written", file=sys.stderr)
        return 1
    text = result.ir_text()
    if args.output == STDIN:
        sys.stdout.write(text)
        return 0
    path = target(args.output, args.file, result)
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    output.say(f"{result.file}: {output.counts(result.diagnostics)}; wrote {path} ({len(text.encode())} bytes)", style)
    return 0


TEST_SUFFIXES = (".test.yaml", ".test.yml")


def cmd_lint(args, style: Style) -> int:
    if args.files.count(STDIN) > 1:
        raise UsageError("`-` (standard input) can be given once")
    # `kfyaml lint pipelines/*.yaml` also matches the tests beside the pipelines (docs/testing.md's layout):
    # they are no pipelines, and `kfyaml test` checks them.
    tests = [path for path in args.files if path.endswith(TEST_SUFFIXES)]
    for path in tests:
        print(f"{path}: a pipeline test file, skipped: `kfyaml test {path}` checks and runs it", file=sys.stderr)
    results = [check_source(path, lower=False) for path in args.files if path not in tests]
    failed = any(r.fails_lint for r in results)
    everything = list(dict.fromkeys(d for r in results for d in r.diagnostics))  # a configuration's problems once
    if args.format == "json":
        json.dump([d.to_json() for d in everything], sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.format == "github":
        from ..reporters import github

        sys.stdout.write(github(everything))
    elif args.format == "sarif":
        from ..reporters import sarif

        json.dump(sarif(everything), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        shown: set = set()
        for result in results:
            output.diagnostics(result, sys.stdout, style, shown)
            output.say(f"{result.file}: {output.counts(result.diagnostics)}", style, sys.stdout)
    return 1 if failed else 0


def cmd_schema(args, style: Style) -> int:
    from kfyaml.schemas import pipeline_schema_text

    sys.stdout.write(pipeline_schema_text())
    return 0
