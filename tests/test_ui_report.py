"""`kfyaml report` against golden files: a hand-written run folder (tests/data/ui_run) as HTML and
Markdown, times shown in UTC. After an intended change, `python tools/update_golden.py` and review."""

import os
import time

import pytest

from tools.update_golden import GOLDEN, reports


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_report_matches_its_golden_files(utc):
    for name, text in reports().items():
        assert text == (GOLDEN / name).read_text(encoding="utf-8"), f"{name} changed: python tools/update_golden.py"


def test_the_golden_report_holds_what_a_reader_needs_and_nothing_that_runs(utc):
    html = (GOLDEN / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html.replace("&lt;script", "")  # the Markdown artifact's script is text
    assert html.count("http") == html.count('xmlns="http://www.w3.org/2000/svg"')  # names a namespace, fetches nothing
    assert 'class="auc">AUC 0.931</text>' in html
    assert "2026-12-04 12:00:00" in html and "17.0s" in html
    assert os.path.getsize(GOLDEN / "report.html") < 100_000
