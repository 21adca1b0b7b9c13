"""`kfyaml ui` and `kfyaml report`: local runs for people to look at (the `ui/` package does the work)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from ..config import default_workdir
from .check import STDIN, UsageError, write_output
from .output import Style


def start_ui(workdir: str, host: str, port: int):
    from kfyaml.ui.server import UI

    try:
        ui = UI(workdir, host=host, port=port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    ui.serve_in_background()
    return ui


def open_in_browser(url: str) -> None:
    """Open the page where a person sits at a desktop; never in CI, a pipe, or a terminal-only session
    (where Python's webbrowser would start a text browser in the user's terminal)."""
    desktop = sys.platform == "darwin" or os.name == "nt" or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if desktop and sys.stderr.isatty() and not os.environ.get("CI"):
        import webbrowser

        try:
            webbrowser.open(url)
        except Exception:  # no browser is no problem: the address is printed
            pass


def cmd_ui(args, style: Style) -> int:
    stop_on_signals()  # before the address is printed: whoever reads it may stop the server at once
    workdir = args.workdir or default_workdir(None)
    ui = start_ui(workdir, args.host, args.port)
    try:  # from here on, Ctrl-C is the way to stop: a clean exit, 0
        print(f"kfyaml ui: the runs in {workdir} at {ui.url()}", flush=True)
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print(f"kfyaml ui: listening on {args.host}: anyone who can reach this machine and has the URL's token "
                  "can read these runs' files", file=sys.stderr, flush=True)
        print("  (Ctrl-C stops it)", file=sys.stderr, flush=True)
        open_in_browser(ui.url())
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        ui.close()
    return 0


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM stop the server, even when it was started with SIGINT ignored (a shell's background job,
    a CI runner): its documented way to stop must always work."""
    import signal

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def cmd_report(args, style: Style) -> int:
    from kfyaml.ui import report
    from kfyaml.ui.store import Store

    workdir, run_id = _which(args.run, args.workdir)
    store = Store(workdir)
    run = store.run(run_id)
    if run is None:
        raise UsageError(f"no run record in {store.runs / run_id}: runs from before kfyaml kept run.json cannot be "
                         "reported; run the pipeline again")
    text = report.html(run, store.folder(run_id)) if args.format == "html" else report.markdown(run)
    write_output(args.output, text)
    if args.output != STDIN and not style.quiet:
        print(f"wrote {args.output} ({run['pipeline']}, {run['state']})", file=sys.stderr)
    return 0


def _which(given: str, workdir: str | None) -> tuple[str, str]:
    """(work folder, run id) for a run named by its folder's name, its path, or `latest`."""
    from kfyaml.ui.store import Store

    path = Path(given)
    if os.sep in given or path.is_dir():
        if not path.is_dir():
            raise UsageError(f"{given}: no such run folder")
        return str(path.resolve().parent.parent), path.resolve().name
    workdir = workdir or default_workdir(None)
    store = Store(workdir)
    if given == "latest":
        ids = store.run_ids()
        if not ids:
            raise UsageError(f"no runs in {store.runs}; run a pipeline with `kfyaml run` first")
        return workdir, ids[0]
    if store.folder(given) is None:
        raise UsageError(f"no run {given} in {store.runs}")
    return workdir, given
