"""The run page in a real browser: Debian's chromium, headless, driven by playwright (issue 20).

playwright's own browser download is not used: `executable_path` points at
the chromium Debian ships (`.ci/run` installs it). Each test saves its
screenshots under build/ui-screenshots/ (CI keeps them as artifacts).
Where chromium or playwright is missing, the tests skip and say which.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from support.stdlib_helpers import write_dataset

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "ui-screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium: `apt-get install chromium` (as .ci/run does)")]
playwright = pytest.importorskip("playwright.sync_api", reason="no playwright: pip install -e '.[test]'")

LIVE = textwrap.dedent("""\
    name: live
    steps:
      first:
        python: |
          def first() -> int:
              import time
              for tick in range(16):
                  print("tick", tick, flush=True)
                  time.sleep(0.5)
              return 1
      second:
        python: |
          def second(x: int) -> int:
              import time
              time.sleep(3)
              return x + 1
        with: {x: "${{ steps.first.outputs.Output }}"}
    """)


def kfyaml(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """`kfyaml` as a user runs it, with room for a first run that builds its step environment on a busy machine."""
    return subprocess.run([sys.executable, "-m", "kfyaml.compiler.cli", *args], cwd=cwd or ROOT, capture_output=True,
                          text=True, timeout=900)


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two runs of examples/training_pipeline.yaml (thresholds 0.5 and 0.99: the second skips `deploy`)."""
    folder = tmp_path_factory.mktemp("trained")
    source = write_dataset(folder, "breast_cancer")
    for threshold in ("0.5", "0.99"):
        done = kfyaml("run", str(ROOT / "examples" / "training_pipeline.yaml"), "--workdir", str(folder / "w"),
                      "--param", f"source={source}", "--param", f"threshold={threshold}")
        assert done.returncode == 0, done.stderr
    return folder / "w"


def _stop(proc: subprocess.Popen, stderr_file: Path) -> None:
    """Ctrl-C, as a user stops it: it must end promptly and cleanly (its stderr shown if not)."""
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"still running 30 s after Ctrl-C; its stderr:\n{stderr_file.read_text()[-4000:]}") from None
    assert code in (0, 130), stderr_file.read_text()[-4000:]


@pytest.fixture
def served(trained, tmp_path):
    errors = tmp_path / "ui.stderr"
    with open(errors, "w") as sink:  # a file, never a pipe nobody reads: a full pipe would block the server
        proc = subprocess.Popen([sys.executable, "-m", "kfyaml.compiler.cli", "ui", "--workdir", str(trained)],
                                stdout=subprocess.PIPE, stderr=sink, text=True)
    line = proc.stdout.readline()
    url = re.search(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", line).group(1)
    yield url
    _stop(proc, errors)


def _line_with(path: Path, text: str, proc: subprocess.Popen, seconds: float = 600) -> str:
    """The first line of a growing file that holds `text`, waiting for it while the process lives."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = next((line for line in path.read_text().splitlines() if text in line), None)
        if found:
            return found
        assert proc.poll() is None, f"it ended ({proc.returncode}) without printing {text!r}:\n{path.read_text()}"
        time.sleep(0.2)
    raise AssertionError(f"no {text!r} in {seconds:.0f} s:\n{path.read_text()[-4000:]}")


def _page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return page, errors


def _states(page) -> dict:
    return dict(page.eval_on_selector_all(
        "svg.dag g.node", "gs => gs.map(g => [g.dataset.node, g.getAttribute('class').match(/state-(\\w+)/)[1]])"))


def test_a_training_run_shows_its_dag_log_and_metrics_drawn(browser, served):
    page, errors = _page(browser)
    page.goto(served)
    page.wait_for_selector("table.runs tr[data-run]")
    assert page.locator("table.runs tr[data-run]").count() == 2
    page.screenshot(path=str(SHOTS / "runs.png"))
    page.locator("table.runs tr[data-run]").nth(1).click()  # the older run: threshold 0.5, deployed
    page.wait_for_selector("body[data-run-state=succeeded]")  # selectors: the page's CSP forbids eval
    assert _states(page) == {"validate": "succeeded", "preprocess": "succeeded", "train": "succeeded",
                             "evaluate": "succeeded", "compare": "succeeded", "deploy": "succeeded",
                             "notify": "succeeded"}
    page.click('svg.dag g.node[data-node="evaluate"]')
    page.wait_for_selector("#panel svg.confusion")
    assert page.locator("#panel section.step h3").all_inner_texts() == [
        "candidates[random_forest]/evaluate", "candidates[gradient_boosting]/evaluate"]
    matrix = page.locator("#panel svg.confusion").first
    assert matrix.locator("rect").count() == 4  # two classes
    assert sum(int(t) for t in matrix.locator("text.cell").all_text_contents()) == 114  # the test split: 20% of 569
    curve = page.locator("#panel svg.roc polyline.curve").first
    assert curve.bounding_box()["width"] > 100 and curve.bounding_box()["height"] > 100
    assert re.fullmatch(r"AUC 0\.9\d\d", page.locator("#panel svg.roc text.auc").first.text_content())
    assert "evaluate_classifier: accuracy" in page.locator("#panel pre.log").first.inner_text()
    page.screenshot(path=str(SHOTS / "training-run.png"), full_page=True)
    with page.expect_popup() as popup:
        page.locator("#panel a.full-log").first.click()
    full = popup.value
    full.wait_for_load_state()
    assert "--- attempt 1 of 1 ---" in full.inner_text("body")
    assert errors == []


def test_two_runs_compared_side_by_side(browser, served):
    page, errors = _page(browser)
    page.goto(served)
    page.wait_for_selector("table.runs tr[data-run]")
    assert page.locator("#compare").is_disabled()
    boxes = page.locator("table.runs input[type=checkbox]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.click("#compare")
    page.wait_for_selector("table.compare")
    rows = page.locator("table.compare tr.differs th").all_inner_texts()
    assert rows[0] == "threshold"
    assert "deploy" in rows  # skipped in one, deployed in the other
    page.screenshot(path=str(SHOTS / "compare.png"), full_page=True)
    assert errors == []


def test_html_artifacts_cannot_run_scripts_in_the_page(browser, tmp_path):
    (tmp_path / "html.yaml").write_text(textwrap.dedent("""\
        name: html
        steps:
          page:
            python: |
              def page(out: Output[HTML]):
                  open(out.path, "w").write("<h1 id=x>made</h1><script>parent.document.title = 'owned';"
                                            "document.getElementById('x').textContent = 'ran'</script>")
        """))
    assert kfyaml("run", "html.yaml", "--workdir", "w", cwd=tmp_path).returncode == 0
    errors = tmp_path / "ui.stderr"
    with open(errors, "w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "kfyaml.compiler.cli", "ui", "--workdir", str(tmp_path / "w")],
                                stdout=subprocess.PIPE, stderr=sink, text=True)
    try:
        url = re.search(r"(http://\S+)", proc.stdout.readline()).group(1)
        page, _ = _page(browser)
        run_id = os.listdir(tmp_path / "w" / "runs")[0]
        page.goto(f"{url}#/run/{run_id}")
        page.click('svg.dag g.node[data-node="page"]')
        frame = page.frame_locator("#panel iframe.html")
        assert frame.locator("#x").inner_text() == "made"  # shown, and its script never ran
        assert page.title() == "kfyaml runs"
        page.screenshot(path=str(SHOTS / "html-artifact.png"))
    finally:
        _stop(proc, errors)


def test_the_page_follows_a_live_run_to_its_end(browser, tmp_path):
    (tmp_path / "live.yaml").write_text(LIVE)
    errors = tmp_path / "run.stderr"
    with open(errors, "w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "kfyaml.compiler.cli", "run", "live.yaml", "--workdir", "w",
                                 "--ui"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=sink, text=True)
    try:
        url = _line_with(errors, "watch it at", proc)
        url = re.search(r"(http://\S+)", url).group(1)
        page, page_errors = _page(browser)
        page.goto(url)
        page.wait_for_selector('svg.dag g.node.state-running[data-node="first"]', timeout=300_000)  # a cold env
        assert _states(page)["second"] == "pending"
        page.click('svg.dag g.node[data-node="first"]')
        page.wait_for_selector("#panel pre.log:has-text('tick 3')", timeout=30_000)  # the log grows on the page...
        assert _states(page)["first"] == "running"  # ...while the step runs (it prints until tick 15, 8 s)
        page.screenshot(path=str(SHOTS / "live-running.png"))
        page.wait_for_selector("body[data-run-state=succeeded]", timeout=120_000)
        assert _states(page) == {"first": "succeeded", "second": "succeeded"}
        page.screenshot(path=str(SHOTS / "live-done.png"))
        assert "the run is done; its page stays up" in _line_with(errors, "the run is done", proc)  # and it stays
        assert page_errors == []
    finally:
        _stop(proc, errors)
    summary = json.loads(next((tmp_path / "w" / "runs").iterdir()).joinpath("summary.json").read_text())
    assert (summary["state"], summary["counts"]) == ("succeeded", {"succeeded": 2})
    assert time.time() - summary["finished"] < 120
