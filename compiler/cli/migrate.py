"""`kfyaml import`: a compiled KFP pipeline (IR) becomes kfyaml files.

Nothing is written when the IR has anything kfyaml cannot say (each is
reported at its place in the IR), and existing files are never overwritten
without `--force`. What is written is then checked like any pipeline, so a
problem KFP's compiler let through (kfyaml's checks are stricter) is shown
at its line in the new file.
"""

from __future__ import annotations

import os
import sys

from .. import api
from ..codes import INTERNAL_ERROR, Severity
from ..diagnostics import render
from . import output
from .check import STDIN, STDIN_NAME, UsageError, write_atomically
from .output import Style


def cmd_import(args, style: Style) -> int:
    from ..importer import import_ir

    if args.file == STDIN:
        text, shown = sys.stdin.buffer.read().decode("utf-8", "replace"), STDIN_NAME
    else:
        try:
            with open(args.file, encoding="utf-8", errors="replace") as fh:
                text, shown = fh.read(), args.file
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    main = os.path.basename(args.output) if args.output != STDIN else "pipeline.yaml"
    source = None
    if args.source is not None:
        try:
            with open(args.source, encoding="utf-8", errors="replace") as fh:
                source = (args.source, fh.read())
        except OSError as exc:
            raise UsageError(f"cannot read {args.source}: {exc.strerror or exc}") from None
    try:
        result = import_ir(text, shown, main=main, source=source)
    except Exception:  # kfyaml's own bug, never the user's: say so, with what to report
        import traceback

        traceback.print_exc()
        print(f"{shown}:1:1: error: kfyaml import failed on this file; nothing was written. Please report it "
              f"with the file [{INTERNAL_ERROR}]", file=sys.stderr)
        return 1
    if not result.ok:
        texts = {shown: text, **({source[0]: source[1]} if source else {})}
        for diag in result.diagnostics:
            lines = None if style.quiet else texts.get(diag.file, "").splitlines()
            print(render(diag, lines, color=style.colored(sys.stderr)), file=sys.stderr)
        if not result.readable:
            print(f"{shown}: not a compiled KFP pipeline kfyaml can read; nothing was written", file=sys.stderr)
        else:
            print(f"{shown}: {len(result.diagnostics)} thing(s) kfyaml cannot say yet; nothing was written", file=sys.stderr)
        return 1
    if not style.quiet:
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
    if args.output == STDIN:
        if len(result.files) > 1:
            raise UsageError(f"the import is {len(result.files)} files ({', '.join(result.files)}); "
                             "give -o pipeline.yaml to write them")
        sys.stdout.write(result.files[main])
        return 0
    folder = os.path.dirname(os.path.abspath(args.output))  # made if missing, as docs/migrating.md writes it
    targets = {rel: os.path.join(folder, rel) for rel in result.files}
    existing = [p for p in targets.values() if os.path.exists(p)]
    if existing and not args.force:
        raise UsageError(f"{', '.join(os.path.relpath(p) for p in existing)} already exist(s); "
                         "nothing was written (--force replaces them)")
    try:
        for rel, path in targets.items():
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_atomically(path, result.files[rel])
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or folder}: {exc.strerror or exc}") from None
    checked = api.check_file(targets[main])
    output.diagnostics(checked, sys.stderr, style)
    written = ", ".join(os.path.relpath(p) for p in targets.values())
    errors = sum(d.severity is Severity.ERROR for d in checked.diagnostics)
    if errors:
        print(f"wrote {written}; the pipeline has {errors} error(s), shown above", file=sys.stderr)
        return 1
    if not style.quiet:
        print(f"wrote {written} ({output.counts(checked.diagnostics)})", file=sys.stderr)
    return 0
