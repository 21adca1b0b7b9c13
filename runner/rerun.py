"""`kfyaml run --only STEP` and `--from STEP`: run one step (or it and every step after it) again, the other
steps' outputs taken from the last run of the same pipeline file.

The last run is the newest in the work folder whose run.json names the same
pipeline file. Each step not chosen is given its recorded outputs, as `kfyaml
test`'s mocks give a step's outputs (its values, and a copy of its artifacts
from the old run folder), so the chosen steps read exactly what they read
then; the summary says `succeeded (from RUN)`. Steps are matched by their place
in the IR, a loop's iterations too (`for-loop-2[1]/train`): an iteration the
last run did not have (its items changed) has nothing to reuse and runs. A
step that is reused must have succeeded then (or come from the cache): one that
failed or was skipped is named, with what to run instead, never guessed.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .records import RunError
from .run_record import RUN_FILE

_ITERATION = re.compile(r"\[\d+\]")


def last_run(workdir: str | Path, pipeline_file: str) -> tuple[Path, dict]:
    runs = Path(workdir) / "runs"
    wanted = os.path.abspath(pipeline_file)
    try:
        folders = sorted((p for p in runs.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        folders = []
    for folder in folders:
        try:
            data = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("file") == wanted and data.get("state") != "running":
            return folder, data
    raise RunError(f"no earlier run of {pipeline_file} in {runs}: run the whole pipeline once first")


def chosen(data: dict, step: str, following: bool) -> set[str]:
    """The step ids to run: `step` (a group: everything in it), and with `following` every step after it."""
    nodes = {n["id"]: n for n in (data.get("graph") or {}).get("nodes", [])}
    if step not in nodes:
        known = ", ".join(n for n in nodes if not nodes[n].get("group")) or "none"
        raise RunError(f"the last run has no step {step!r} (its steps: {known})")
    children: dict[str, list[str]] = {}
    for node_id, node in nodes.items():
        children.setdefault(node.get("parent"), []).append(node_id)
    after: dict[str, list[str]] = {}
    for edge in (data.get("graph") or {}).get("edges", []):
        after.setdefault(edge["source"], []).append(edge["target"])
    out: set[str] = set()
    pending = [step]
    while pending:
        node = pending.pop()
        if node in out:
            continue
        out.add(node)
        pending.extend(children.get(node, []))
        if following:
            pending.extend(after.get(node, []))
            parent = nodes[node].get("parent")
            while parent is not None:  # what waits for the group this step is in
                pending.extend(after.get(parent, []))
                parent = nodes[parent].get("parent")
    return out


def upstream(data: dict, run_ids: set[str]) -> set[str]:
    """The steps and groups the chosen steps read from, at any distance (through the groups they are in)."""
    nodes = {n["id"]: n for n in (data.get("graph") or {}).get("nodes", [])}
    before: dict[str, list[str]] = {}
    for edge in (data.get("graph") or {}).get("edges", []):
        before.setdefault(edge["target"], []).append(edge["source"])
    children: dict[str, list[str]] = {}
    for node_id, node in nodes.items():
        children.setdefault(node.get("parent"), []).append(node_id)
    out: set[str] = set()
    pending, seen = list(run_ids), set()
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        for source in before.get(node, []):
            out.add(source)
            pending.append(source)
            pending.extend(children.get(source, []))  # a group read from: everything in it
            out.update(children.get(source, []))
        parent = (nodes.get(node) or {}).get("parent")
        if parent is not None:
            pending.append(parent)  # what the step's group waits for
    return out - run_ids


def mocks_from(folder: Path, data: dict, run_ids: set[str]) -> dict[str, dict]:
    """The step's place in the IR (`exit-handler-1/train`) -> the outputs and artifact metadata it recorded, for
    every step of the last run not in `run_ids`: by place, so that a nested pipeline's `train` is not its parent's.
    A step after the chosen ones that has nothing to reuse is skipped, as nothing chosen reads it."""
    out: dict[str, dict] = {}
    needed = upstream(data, run_ids)
    for record in data.get("steps") or []:
        chain = record.get("chain") or []
        if set(chain) & run_ids:
            continue
        label = record.get("label", "")
        if record.get("state") not in ("succeeded", "cached") and not set(chain) & needed:
            out[record.get("path", "")] = {"skip": f"not run: it follows the chosen steps and ended "
                                                   f"{record.get('state')} in {folder.name}"}
            continue
        if record.get("state") not in ("succeeded", "cached"):
            raise RunError(f"{label} ended {record.get('state')} in the last run, so it has no outputs to reuse: run it "
                           f"too (--from {chain[0] if chain else label}) or the whole pipeline")
        outputs, metadata, empty = dict(record.get("outputs") or {}), {}, []
        for name, paths in (record.get("artifacts") or {}).items():
            if len(paths) != 1:
                raise RunError(f"{label}'s output {name!r} is a list of artifacts; reusing it is not supported yet")
            path = os.path.abspath(os.path.join(folder, paths[0]))  # run.json keeps paths inside the run relative
            if os.path.exists(path):
                outputs[name] = path
            else:
                empty.append(name)  # an artifact that was metadata alone (KFP's Metrics): no file then, none now
            metadata[name] = ((record.get("artifact_info") or {}).get(name) or [{}])[0].get("metadata") or {}
        out[record.get("path", "")] = {"outputs": outputs, "metadata": metadata, "reason": f"from {folder.name}",
                                       "without_file": empty}
    return out
