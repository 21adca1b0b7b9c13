"""The run store as the page sees it: runs newest first, one run with its steps' states, and files
that are safe to serve.

A run folder is `WORKDIR/runs/<pipeline>-<YYYYmmdd-HHMMSS>-<pid>[-n]`; the
list is sorted by the time in that name, so paging 10,000 runs reads the
`summary.json` of one page only. Nothing outside the run folder is ever
served: a path with `..`, an absolute path, or a symbolic link that leads
out of the folder is refused (the server answers 404).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path, PurePosixPath

from kfyaml.runner.run_record import RUN_FILE, SUMMARY_FILE

_RUN_NAME = re.compile(r"^(?P<pipeline>.+)-(?P<stamp>\d{8}-\d{6})-(?P<pid>\d+)(?:-(?P<n>\d+))?$")
_ORDER = ("running", "failed", "timed_out", "upstream_failed", "cancelled", "pending", "succeeded", "cached", "skipped")
_DONE = ("succeeded", "cached", "skipped")


class Store:
    def __init__(self, workdir: str | Path):
        self.runs = Path(workdir).resolve() / "runs"
        self._listing: tuple[float, list[str]] | None = None
        self._read: dict[str, tuple[int, dict]] = {}  # run id -> (run.json's mtime, what run() made of it)

    def run_ids(self) -> list[str]:
        """Run folder names, newest first (cached until the runs folder changes)."""
        try:
            stamp = self.runs.stat().st_mtime
        except OSError:
            return []
        if self._listing is None or self._listing[0] != stamp:
            names = []
            with os.scandir(self.runs) as entries:
                for entry in entries:
                    match = _RUN_NAME.match(entry.name)
                    if match and entry.is_dir(follow_symlinks=False):
                        names.append((match.group("stamp"), int(match.group("n") or 1), entry.name))
            self._listing = (stamp, [name for *_, name in sorted(names, reverse=True)])
        return self._listing[1]

    def page(self, page: int = 1, per_page: int = 50) -> dict:
        ids = self.run_ids()
        per_page = max(1, min(per_page, 500))
        pages = max(1, -(-len(ids) // per_page))
        page = max(1, min(page, pages))
        chosen = ids[(page - 1) * per_page: page * per_page]
        return {"runs": [self.summary(run_id) for run_id in chosen], "total": len(ids), "page": page, "pages": pages,
                "per_page": per_page}

    def folder(self, run_id: str) -> Path | None:
        """The run's folder, or None for anything that is not one run folder directly under runs/."""
        if not _RUN_NAME.match(run_id or "") or "/" in run_id or "\\" in run_id or run_id.startswith("."):
            return None
        folder = self.runs / run_id
        if folder.is_symlink() or not folder.is_dir():
            return None
        return folder

    def summary(self, run_id: str) -> dict:
        folder = self.folder(run_id)
        data = _read(folder / SUMMARY_FILE) if folder else None
        if data is None:  # a run from before run records, or one that just started
            match = _RUN_NAME.match(run_id)
            data = {"id": run_id, "pipeline": match.group("pipeline") if match else run_id, "state": "unknown",
                    "params": {}, "started": None, "finished": None, "counts": {}}
        return _alive(data)

    def run(self, run_id: str) -> dict | None:
        """Everything about one run, with the state of every node of its DAG."""
        folder = self.folder(run_id)
        if folder is None:
            return None
        try:
            stamp = (folder / RUN_FILE).stat().st_mtime_ns
        except OSError:
            return None
        cached = self._read.get(run_id)
        if cached is not None and cached[0] == stamp:  # a live page asks each time the file changes, not more
            return _alive(cached[1])
        data = _read(folder / RUN_FILE)
        if data is None:
            return None
        data = _alive(data)
        self._read[run_id] = (stamp, data)
        data["nodes"] = node_states(data.get("graph") or {"nodes": []}, data.get("steps") or [])
        for step in data.get("steps") or []:
            step["node"] = node_of(step.get("chain") or [], _by_id(data.get("graph")))
        return data

    def file(self, run_id: str, rel: str) -> Path | None:
        """A file inside the run folder, or None: no `..`, no absolute path, no link that leads outside."""
        folder = self.folder(run_id)
        if folder is None or not rel or "\x00" in rel or "\\" in rel:
            return None
        parts = PurePosixPath(rel)
        if parts.is_absolute() or ".." in parts.parts:
            return None
        path = folder / parts
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not real.is_relative_to(folder.resolve()) or not real.is_file():
            return None
        return real


def node_of(chain: list[str], nodes: dict[str, dict]) -> str | None:
    """The DAG node a step belongs to: down its chain of step ids while each is a node inside the one before
    (a nested pipeline's own steps stay with the step that runs it)."""
    current = None
    for step_id in chain:
        node = nodes.get(step_id)
        if node is None or (current is not None and not nodes[current].get("group")):
            break
        if current is not None and not _inside(node, current, nodes):
            break
        current = step_id
    return current


def node_states(graph: dict, steps: list[dict]) -> dict[str, str]:
    """Each node's state from its steps (a loop's iterations, a group's steps): running while any runs or
    some are still to run after others ended, failed when any failed, then the most telling one."""
    nodes = _by_id(graph)
    seen: dict[str, list[str]] = {}
    for step in steps:
        node = node_of(step.get("chain") or [], nodes)
        while node is not None:
            seen.setdefault(node, []).append(step.get("state", "pending"))
            node = nodes[node].get("parent")
    out = {}
    for node in nodes:
        states = seen.get(node, [])
        if not states:
            out[node] = "pending"
        elif "pending" in states and any(s not in ("pending", "skipped") for s in states) \
                and not any(s in ("failed", "timed_out", "upstream_failed", "cancelled") for s in states):
            out[node] = "running"
        elif all(s in _DONE for s in states):
            out[node] = "skipped" if all(s == "skipped" for s in states) else \
                "cached" if all(s in ("cached", "skipped") for s in states) else "succeeded"
        else:
            out[node] = next(s for s in _ORDER if s in states)
    return out


def _inside(node: dict, ancestor: str, nodes: dict[str, dict]) -> bool:
    parent = node.get("parent")
    while parent is not None:
        if parent == ancestor:
            return True
        parent = nodes.get(parent, {}).get("parent")
    return False


def _by_id(graph: dict | None) -> dict[str, dict]:
    return {node["id"]: node for node in (graph or {}).get("nodes", [])}


def _alive(data: dict) -> dict:
    """A run still `running` whose process is gone was interrupted (killed, or the machine stopped)."""
    if data.get("state") == "running" and data.get("pid"):
        try:
            os.kill(int(data["pid"]), 0)
        except ProcessLookupError:
            data["state"] = "interrupted"
        except (PermissionError, OSError, ValueError):
            pass
    return data


def _read(path: Path) -> dict | None:
    """A record as the runner wrote it; None for anything else (unreadable, not JSON, not an object)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None
