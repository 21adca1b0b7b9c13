"""run.json and summary.json: what `kfyaml run` leaves for `kfyaml ui` and `kfyaml report` (issue 20)."""

import json
import time

from kfyaml.runner import run_record
from kfyaml.runner.records import StepRecord
from kfyaml.runner.run_record import Recorder


def test_many_changes_make_few_whole_writes_and_the_end_is_written(tmp_path, monkeypatch):
    writes = []
    real = run_record._replace
    monkeypatch.setattr(run_record, "_replace", lambda path, data: (writes.append(path.name), real(path, data)))
    records = [StepRecord("a", "a", label="a", chain=["a"])]
    recorder = Recorder(tmp_path, {"pipeline": "p", "params": {"x": 1}, "graph": {"nodes": [], "edges": []}},
                        lambda: records)
    started = time.monotonic()
    for i in range(2000):  # a busy run: events far faster than the interval
        records[0].state = "running" if i % 2 else "pending"
        recorder.event(records[0])
    elapsed = time.monotonic() - started
    records[0].state, records[0].log = "succeeded", str(tmp_path / "logs" / "a.log")
    recorder.finish("succeeded")
    runs = writes.count("run.json")
    assert runs <= 3 + elapsed / run_record.INTERVAL  # the first, the throttled ones, the last
    data = json.loads((tmp_path / "run.json").read_text())
    assert (data["state"], data["params"], data["counts"]) == ("succeeded", {"x": 1}, {"succeeded": 1})
    assert data["steps"][0]["log"] == "logs/a.log"  # relative to the run folder
    assert json.loads((tmp_path / "summary.json").read_text())["state"] == "succeeded"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json", "summary.json"]  # nothing half-written left


def test_a_record_changed_while_it_is_copied_is_copied_again(tmp_path):
    records = [StepRecord("a", "a", label="a")]
    calls = []

    def records_now():
        calls.append(1)
        if len(calls) == 2:  # the second write meets a record being changed
            raise RuntimeError("dictionary changed size during iteration")
        return records

    recorder = Recorder(tmp_path, {"pipeline": "p"}, records_now)
    recorder.finish("failed", "boom")
    data = json.loads((tmp_path / "run.json").read_text())
    assert (data["state"], data["error"], len(calls)) == ("failed", "boom", 3)
