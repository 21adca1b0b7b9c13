"""`kfyaml ui`'s JSON API and files, and `kfyaml report` (issue 20).

Runs here are real: `kfyaml run` on a pipeline whose Python steps write KFP
metrics with kfp.dsl's own classes (log_metric, log_confusion_matrix,
log_roc_curve), Markdown with a script in it, and a CSV; the server is the
real one on a free port, asked over HTTP. The browser tests are in
test_ui_browser.py.
"""

import json
import os
import re
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import run_cli

from kfyaml.ui import report
from kfyaml.ui.server import UI
from kfyaml.ui.store import Store, node_states

pytestmark = pytest.mark.slow

DEMO = textwrap.dedent("""\
    name: demo
    params:
      n: {type: int, default: 2}
    steps:
      make:
        python: |
          def make(n: int, report: Output[Markdown], table: Output[Dataset], page: Output[HTML],
                   metrics: Output[Metrics], cm: Output[ClassificationMetrics], plot: Output[Artifact]) -> int:
              import base64
              open(plot.path, "wb").write(base64.b64decode(
                  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="))
              open(report.path, "w").write("# Hello\\n\\n<script>alert(1)</script>\\n")
              open(table.path, "w").write("x,y\\n1,2\\n3,4\\n")
              open(page.path, "w").write("<h1>hi</h1><script>parent.document.title = 'owned'</script>")
              metrics.log_metric("accuracy", 0.5 + n / 10)
              cm.log_confusion_matrix(["no", "yes"], [[5, 1], [2, 7]])
              cm.log_roc_curve([0.0, 0.1, 0.5, 1.0], [0.0, 0.6, 0.9, 1.0], [1.0, 0.8, 0.4, 0.0])
              print("made", n)
              return n * 2
        with: {n: "${{ params.n }}"}
      fan:
        for_each: [1, 2]
        python: |
          def fan(x: int) -> int:
              return x
        with: {x: "${{ item }}"}
      after:
        python: |
          def after(v: int):
              raise SystemExit(1 if v > 4 else 0)
        with: {v: "${{ steps.make.outputs.Output }}"}
        needs: [fan]
    """)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two runs of the demo: n=2 succeeds, n=3 fails at `after` (newest)."""
    folder = tmp_path_factory.mktemp("ui")
    (folder / "demo.yaml").write_text(DEMO)
    for n in (2, 3):
        done = run_cli("run", "demo.yaml", "--workdir", "w", "--param", f"n={n}", cwd=folder)
        assert done.returncode == (0 if n == 2 else 1), done.stderr
    return Store(folder / "w")


@pytest.fixture(scope="module")
def ui(store):
    server = UI(store.runs.parent)
    server.serve_in_background()
    yield server
    server.close()


def _get(ui, path: str, token: bool = True, host: str | None = None):
    sep = "&" if "?" in path else "?"
    url = f"http://127.0.0.1:{ui.port}{path}{sep}token={ui.token}" if token else f"http://127.0.0.1:{ui.port}{path}"
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


def test_runs_are_listed_newest_first_page_by_page(store, ui):
    status, _, body = _get(ui, "/api/runs?per_page=1")
    first = json.loads(body)
    assert (status, first["total"], first["pages"], first["page"]) == (200, 2, 2, 1)
    assert [(r["pipeline"], r["params"], r["state"], r["counts"]) for r in first["runs"]] == [
        ("demo", {"n": 3}, "failed", {"cached": 2, "failed": 1, "succeeded": 1})]  # `fan` came from the cache
    second = json.loads(_get(ui, "/api/runs?per_page=1&page=2")[2])
    assert [(r["params"], r["state"], r["counts"]) for r in second["runs"]] == [({"n": 2}, "succeeded", {"succeeded": 4})]


def test_a_run_has_its_dag_and_each_nodes_state(store, ui):
    newest = store.run_ids()[0]
    run = json.loads(_get(ui, f"/api/runs/{newest}")[2])
    assert run["nodes"] == {"make": "succeeded", "fan": "cached", "after": "failed"}
    assert [(n["id"], n["label"], n["parent"]) for n in run["graph"]["nodes"]] == [
        ("make", "make", None), ("fan", "fan [for each [1, 2]]", None), ("after", "after", None)]
    assert run["graph"]["edges"] == [{"source": "make", "target": "after", "label": ""},
                                     {"source": "fan", "target": "after", "label": ""}]
    assert sorted((s["label"], s["node"], s["state"], s["retries"]) for s in run["steps"]) == [
        ("after", "after", "failed", 0), ("fan[1]", "fan", "cached", 0), ("fan[2]", "fan", "cached", 0),
        ("make", "make", "succeeded", 0)]
    status, headers, svg = _get(ui, f"/api/runs/{newest}/dag.svg")
    assert status == 200 and headers["Content-Type"] == "image/svg+xml"
    assert re.findall(r'<g class="node state-(\w+)" data-node="(\w+)"', svg) == [
        ("succeeded", "make"), ("cached", "fan"), ("failed", "after")]


def test_a_steps_panel_draws_its_metrics_and_shows_its_artifacts_safely(store, ui):
    oldest = store.run_ids()[1]
    status, _, html = _get(ui, f"/api/runs/{oldest}/node/make")
    assert status == 200
    assert '<table class="metrics"><tr><th>accuracy</th><td>0.7</td></tr></table>' in html
    cells = re.findall(r'class="cell">(\d+)</text>', html)
    assert cells == ["5", "1", "2", "7"]  # the confusion matrix, row by row
    assert 'class="auc">AUC 0.805</text>' in html  # trapezoids over (0,0) (.1,.6) (.5,.9) (1,1)
    assert "<h1>Hello</h1>" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert '<table class="preview"><tr><th>x</th><th>y</th></tr><tr><td>1</td><td>2</td></tr>' in html
    assert re.search(r'<iframe class="html" sandbox src="/api/runs/[^"]+/file\?path=outputs/make/page&amp;token=\S+'
                     r'&amp;as=html">', html)
    log = re.search(r'<pre class="log">(.*?)</pre>', html, re.S).group(1)
    assert "made 2" in log
    image = re.search(r'<img class="artifact" alt="outputs/make/plot" src="([^"]+)">', html).group(1)
    status, headers, _ = _get(ui, image.replace("&amp;", "&").split("&token=")[0])  # a PNG KFP named without ".png"
    assert status == 200 and headers["Content-Type"] == "image/png"


def test_files_come_only_from_inside_the_run_folder(store, ui, tmp_path):
    run = store.run_ids()[1]
    folder = store.folder(run)
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours")
    (folder / "outside-link").symlink_to(secret)
    (folder / "logs" / "inside-link.log").symlink_to(folder / "logs" / "make.log")
    for path in ("../../../../etc/passwd", "/etc/passwd", "logs/../../secret.txt", "outside-link", "logs",
                 "logs/%2e%2e/run.json", "", "logs\\make.log"):
        assert _get(ui, f"/api/runs/{run}/file?path={path}")[0] == 404, path
    assert _get(ui, "/api/runs/..%2F..%2Fetc/file?path=passwd")[0] == 404
    status, headers, text = _get(ui, f"/api/runs/{run}/file?path=logs/inside-link.log")
    assert status == 200 and "made 2" in text and headers["Content-Type"] == "text/plain; charset=utf-8"
    status, headers, page = _get(ui, f"/api/runs/{run}/file?path=outputs/make/page&as=html")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"].startswith("sandbox;")  # no scripts, even opened on its own


def test_every_api_answer_needs_the_token_and_the_served_host(store, ui):
    run = store.run_ids()[0]
    for path in ("/api/runs", f"/api/runs/{run}", f"/api/runs/{run}/file?path=logs/make.log"):
        status, _, body = _get(ui, path, token=False)
        assert (status, body) == (403, "the token in the page's URL is needed")
        assert _get(ui, path + ("&" if "?" in path else "?") + "token=wrong", token=False)[0] == 403
    assert _get(ui, "/api/runs", host=f"attacker.example:{ui.port}")[0] == 403
    status, headers, page = _get(ui, "/", token=False)  # the page itself holds no data
    assert status == 200 and "<script src=\"/app.js\"></script>" in page
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_the_event_stream_gives_an_ended_runs_states_and_closes(store, ui):
    run = store.run_ids()[0]
    status, headers, body = _get(ui, f"/api/runs/{run}/events")
    assert status == 200 and headers["Content-Type"] == "text/event-stream"
    events = [json.loads(line[len("data: "):]) for line in body.splitlines() if line.startswith("data: ")]
    assert [(e["state"], e["nodes"]) for e in events] == [
        ("failed", {"make": "succeeded", "fan": "cached", "after": "failed"})]


def test_compare_puts_params_and_metrics_side_by_side(store, ui):
    new, old = store.run_ids()
    status, _, html = _get(ui, f"/api/compare?ids={new},{old}")
    assert status == 200
    assert '<tr class="differs"><th>n</th><td>3</td><td>2</td></tr>' in html
    assert '<tr class="differs"><th>make.metrics.accuracy</th><td>0.8</td><td>0.7</td></tr>' in html
    steps = html.split("<h3>steps that differ</h3>")[1]
    assert re.findall(r'<tr class="differs"><th>([^<]+)</th>', steps) == ["after", "make"]  # `fan`: cached, the same
    assert _get(ui, f"/api/compare?ids={new}")[0] == 404


def test_the_report_is_one_file_with_no_script_and_no_network(store, tmp_path):
    run_id = store.run_ids()[0]
    out = tmp_path / "report.html"
    done = run_cli("report", run_id, "-o", str(out), "--workdir", str(store.runs.parent))
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"wrote {out} (demo, failed)\n"
    html = out.read_text()
    assert "<script" not in html.replace("&lt;script", "")
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from anywhere
    assert re.findall(r'<g class="node state-(\w+)" data-node="(\w+)"', html) == [
        ("succeeded", "make"), ("cached", "fan"), ("failed", "after")]
    assert 'class="auc">AUC 0.805</text>' in html and "<h1>Hello</h1>" in html
    assert re.search(r'<iframe class="html" sandbox srcdoc="&lt;h1&gt;hi&lt;/h1&gt;', html)
    markdown = run_cli("report", "latest", "--format", "markdown", "--workdir", str(store.runs.parent)).stdout
    lines = markdown.splitlines()
    assert lines[0].startswith("### demo: failed in ")
    assert "| n | 3 |" in lines
    assert "| make.metrics.accuracy | 0.8 |" in lines
    assert lines[-4:] == ["| | no | yes |", "| --- | --- | --- |", "| no | 5 | 1 |", "| yes | 2 | 7 |"]


def test_report_names_what_it_cannot_find(store, tmp_path):
    done = run_cli("report", "demo-20200101-000000-1", "--workdir", str(store.runs.parent))
    assert done.returncode == 2
    assert done.stderr.strip() == f"kfyaml: no run demo-20200101-000000-1 in {store.runs}"
    empty = run_cli("report", "latest", "--workdir", str(tmp_path / "nothing"))
    assert empty.stderr.strip() == f"kfyaml: no runs in {tmp_path / 'nothing' / 'runs'}; run a pipeline with `kfyaml run` first"


def test_kfp_metrics_as_kfp_dsl_writes_them_are_drawn():
    """The metadata here comes from kfp.dsl's own artifact classes, as a step's code logs it."""
    from kfp import dsl

    from kfyaml.ui import charts

    metrics = dsl.Metrics(name="m", uri="/tmp/m")
    metrics.log_metric("accuracy", 0.875)
    assert charts.render("system.Metrics", metrics.metadata) == \
        '<table class="metrics"><tr><th>accuracy</th><td>0.875</td></tr></table>'
    sliced = dsl.SlicedClassificationMetrics(name="s", uri="/tmp/s")
    sliced._sliced_metrics = {}  # kfp 2.17.3's class never sets it, so its log methods fail without this
    for name, rows in (("young", [[3, 1], [0, 4]]), ("old", [[2, 2], [1, 5]])):  # its load_confusion_matrix
        sliced.set_confusion_matrix_categories(name, ["no", "yes"])           # is broken in kfp 2.17.3 too
        for category, row in zip(["no", "yes"], rows, strict=True):
            sliced.log_confusion_matrix_row(name, category, row)
    # Its ROC methods call ClassificationMetrics methods that no longer exist (log_roc_reading, load_roc_readings):
    # the slice's ClassificationMetrics logs the curve itself, and the sliced class lays out the metadata.
    sliced._sliced_metrics["old"].log_roc_curve([0.1, 0.3, 0.9], [0.5, 0.8, 1.0], [0.9, 0.5, 0.1])
    sliced._update_metadata("old")
    html = charts.render("system.SlicedClassificationMetrics", sliced.metadata)
    assert re.findall(r"<h5>slice (\w+)</h5>", html) == ["young", "old"]
    assert re.findall(r'class="cell">(\d+)</text>', html) == ["3", "1", "0", "4", "2", "2", "1", "5"]
    assert html.count('<svg class="roc"') == 1  # only `old` has readings


def test_node_states_sum_up_loops_and_groups():
    graph = {"nodes": [{"id": "g", "group": True, "parent": None}, {"id": "a", "parent": "g"},
                       {"id": "b", "parent": "g"}, {"id": "c", "parent": None}]}
    steps = [{"chain": ["g", "a"], "state": "succeeded"}, {"chain": ["g", "a"], "state": "running"},
             {"chain": ["g", "b"], "state": "pending"}, {"chain": ["c"], "state": "skipped"}]
    assert node_states(graph, steps) == {"g": "running", "a": "running", "b": "pending", "c": "skipped"}
    steps[1]["state"] = "failed"
    assert node_states(graph, steps) == {"g": "failed", "a": "failed", "b": "pending", "c": "skipped"}
    steps[1]["state"], steps[2]["state"] = "cached", "succeeded"
    assert node_states(graph, steps) == {"g": "succeeded", "a": "succeeded", "b": "succeeded", "c": "skipped"}


def test_a_run_killed_midway_shows_as_interrupted(store, tmp_path):
    folder = tmp_path / "w" / "runs" / "demo-20260101-000000-999999"
    folder.mkdir(parents=True)
    record = {"id": folder.name, "pipeline": "demo", "state": "running", "pid": 2**22 + 12345, "steps": [],
              "graph": {"nodes": [], "edges": []}}
    (folder / "run.json").write_text(json.dumps(record))
    (folder / "summary.json").write_text(json.dumps(record))
    assert Store(tmp_path / "w").summary(folder.name)["state"] == "interrupted"
    assert Store(tmp_path / "w").run(folder.name)["state"] == "interrupted"
    os.remove(folder / "summary.json")  # a run from before run records: listed, its state unknown
    assert Store(tmp_path / "w").summary(folder.name)["state"] == "unknown"
    assert report.markdown(Store(tmp_path / "w").run(folder.name)).splitlines()[0] == "### demo: interrupted in -"
    assert Path(folder).exists()


def test_a_run_named_by_its_folder_and_a_busy_port(store, ui):
    folder = store.folder(store.run_ids()[0])
    done = run_cli("report", str(folder), "--format", "markdown")
    assert done.returncode == 0 and done.stdout.startswith("### demo: failed in ")
    busy = run_cli("ui", "--workdir", str(store.runs.parent), "--port", str(ui.port))
    assert busy.returncode == 2
    assert busy.stderr.strip() == f"kfyaml: cannot listen on 127.0.0.1:{ui.port}: Address already in use"


def test_ctrl_c_stops_the_server_even_when_started_with_sigint_ignored(tmp_path):
    """A shell's background job (and some CI runners) start commands with SIGINT ignored; `kfyaml ui` still stops
    on Ctrl-C, and on SIGTERM."""
    import signal
    import subprocess
    import sys

    for sent in (signal.SIGINT, signal.SIGTERM):
        proc = subprocess.Popen([sys.executable, "-m", "kfyaml.compiler.cli", "ui", "--workdir", str(tmp_path)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        assert "kfyaml ui: the runs in" in proc.stdout.readline()
        proc.send_signal(sent)
        assert proc.wait(timeout=20) == 0
