"""`kfyaml ui` at scale, in a real browser: first paint with 10,000 runs, a 1,000-step run, a live update.

    python benchmarks/ui_first_paint.py [--runs 10000] [--steps 1000] [--repeat 3]

Builds a run store in a temporary folder with the runner's own writer
(runner/run_record.py's Recorder): `--runs` finished runs and one running
run of `--steps` steps (layers of 50, each step waiting for one in the layer
before). Starts the real server and Debian's chromium (through playwright),
and reports the median over `--repeat` of:

- runs list: navigation until the first page of runs is in the table;
- run page: navigation until every step of the large run is drawn;
- live update: a step's state written to run.json (as the runner writes it)
  until the page shows it.

There is no KFP figure beside these: KFP's UI needs a cluster (and Argo's or
Flyte's a cluster or Docker), which is the gap `kfyaml ui` fills. The issue's
budget is a first paint under 1 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from kfyaml.runner.records import StepRecord
from kfyaml.runner.run_record import Recorder
from kfyaml.ui.server import UI

WIDTH = 50


def build(root: Path, runs: int, steps: int) -> tuple[str, Recorder, list[StepRecord]]:
    """The store: the id of the large running run, its recorder and its steps."""
    folder = root / "runs"
    folder.mkdir(parents=True)
    for i in range(runs):
        run = folder / f"bench-20260101-{i // 3600 % 24:02d}{i // 60 % 60:02d}{i % 60:02d}-{1000 + i // 86400}"
        run.mkdir(exist_ok=True)
        rec = Recorder(run, {"pipeline": "bench", "params": {"i": i}, "graph": {"nodes": [], "edges": []}}, lambda: [])
        rec.finish("succeeded")
    big = folder / "big-20270101-000000-1"
    big.mkdir()
    nodes = [{"id": f"s{i}", "label": f"s{i}", "parent": None, "group": False, "finally": False} for i in range(steps)]
    edges = [{"source": f"s{i - WIDTH}", "target": f"s{i}", "label": ""} for i in range(WIDTH, steps)]
    records = [StepRecord(f"s{i}", f"s{i}", label=f"s{i}", chain=[f"s{i}"], state="succeeded" if i < steps // 2 else "pending")
               for i in range(steps)]
    recorder = Recorder(big, {"pipeline": "big", "params": {}, "graph": {"nodes": nodes, "edges": edges}}, lambda: records)
    recorder.stopped = True  # written by hand below, as the engine's events would
    recorder.changed.set()
    return big.name, recorder, records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    root = Path(tempfile.mkdtemp(prefix="kfyaml-ui-bench-"))
    started = time.perf_counter()
    big, recorder, records = build(root, args.runs, args.steps)
    print(f"store: {args.runs} runs and one of {args.steps} steps, built in {time.perf_counter() - started:.1f}s")
    ui = UI(root)
    ui.serve_in_background()
    listing, run_page, live = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for attempt in range(args.repeat):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t0 = time.perf_counter()
            page.goto(ui.url())
            page.wait_for_selector("table.runs tr[data-run]")
            listing.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            page.goto(ui.url(big))
            page.wait_for_selector(f'svg.dag g.node[data-node="s{args.steps - 1}"]')
            run_page.append(time.perf_counter() - t0)
            page.wait_for_selector("body[data-run-state=running]")
            target = records[args.steps // 2 + attempt]
            target.state = "running"
            t0 = time.perf_counter()
            recorder.write()
            page.wait_for_selector(f'svg.dag g.node.state-running[data-node="{target.label}"]')
            live.append(time.perf_counter() - t0)
            page.close()
        browser.close()
    ui.close()
    shutil.rmtree(root, ignore_errors=True)
    for name, values in (("runs list (first page of 50)", listing), (f"run page ({args.steps} steps drawn)", run_page),
                         ("live update (run.json written -> page shows it)", live)):
        print(f"{name:52} median {statistics.median(values) * 1000:7.0f} ms  (min {min(values) * 1000:.0f}, "
              f"max {max(values) * 1000:.0f})")


if __name__ == "__main__":
    main()
