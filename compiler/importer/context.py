"""What every part of one import shares: the IR, the frames of its DAGs, the step ids.

A *frame* is one DAG on the way down from a file's root, with the task
that runs it in the parent DAG; bindings are traced through frames. Step
ids are unique in a kfyaml file, and `needs:` and `steps.<id>` must agree
on them, so ids are given once, here, before any step is written.
"""

from __future__ import annotations

import dataclasses
import re

from .python_source import PipelineSource, Source
from .read import IR, Problems

_EXIT = re.compile(r"^exit-handler-\d+$")
_BRANCHES = re.compile(r"^condition-branches-\d+$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclasses.dataclass(eq=False)
class Frame:
    comp_name: str
    comp: dict
    task: dict | None = None        # the task in the parent DAG that runs this DAG
    task_key: str | None = None
    parent: Frame | None = None
    loop_var: str | None = None     # this DAG is a loop body: its item's name
    loop_depth: int = 0             # loops around this DAG, this one included

    @property
    def tasks(self) -> dict:
        return self.comp.get("dag", {}).get("tasks", {}) or {}

    @property
    def iterator(self) -> dict | None:
        if self.task is None:
            return None
        return self.task.get("parameterIterator") or self.task.get("artifactIterator")

    @property
    def path(self) -> tuple:
        return (0, "root") if self.comp_name == "root" else (0, "components", self.comp_name)

    @property
    def task_path(self) -> tuple:
        return self.parent.path + ("dag", "tasks", self.task_key) if self.parent else self.path


@dataclasses.dataclass
class Output:
    """The files one import writes: the pipeline, nested pipelines and Python code, by relative path."""

    files: dict[str, str] = dataclasses.field(default_factory=dict)
    nested: dict[str, str] = dataclasses.field(default_factory=dict)  # component name -> its file
    places: dict[tuple[str, str], tuple] = dataclasses.field(default_factory=dict)  # (file, step id) -> its task in the IR
    notes: list[str] = dataclasses.field(default_factory=list)  # what the user should know, though nothing is wrong


class Importer:
    """One kfyaml file being made from one DAG component (the root, or a nested pipeline)."""

    def __init__(self, ir: IR, problems: Problems, out: Output, folder: str = "", file: str = "",
                 source: Source | None = None, ir_name: str = ""):
        self.ir, self.problems, self.out = ir, problems, out
        self.folder = folder  # where this file lives, relative to the main one ("" or "pipelines/")
        self.file = file      # the file being written, relative to the main one
        self.source = source  # the pipeline's Python (`--source`), for the names the IR does not keep
        self.ir_name = ir_name  # the pipeline's name in the IR (`pipelineInfo.name`, or `comp-<name>` nested)
        self.task_vars: dict[str, str] = {}  # task key -> the Python variable holding it (with a source)
        self.components: dict = ir.spec.get("components", {}) or {}
        self.executors: dict = ir.spec.get("deploymentSpec", {}).get("executors", {}) or {}
        self.frames: dict[str, Frame] = {}
        self.ids: dict[tuple[str, str], str] = {}
        self.used_ids: set[str] = set()
        self.branch_outputs: dict[tuple[str, str], str] = {}

    def source_pipeline(self) -> PipelineSource | None:
        return self.source.pipeline(self.ir_name) if self.source else None

    def component(self, task: dict) -> dict:
        return self.components.get(task.get("componentRef", {}).get("name", ""), {})

    def kind_of(self, key: str, task: dict) -> str:
        """leaf, loop, condition, branches, exit, group, or nested (a pipeline run as a step)."""
        if "dag" not in self.component(task):
            return "leaf"
        if task.get("parameterIterator") or task.get("artifactIterator"):
            return "loop"
        if task.get("triggerPolicy", {}).get("condition"):
            return "condition"
        if _BRANCHES.match(key):
            return "branches"
        if _EXIT.match(key):
            return "exit"
        comp = self.component(task)
        names = list((comp.get("inputDefinitions") or {}).get("parameters") or {}) + \
            list((comp.get("inputDefinitions") or {}).get("artifacts") or {}) + \
            list((comp.get("outputDefinitions") or {}).get("parameters") or {}) + \
            list((comp.get("outputDefinitions") or {}).get("artifacts") or {})
        if any(n.startswith("pipelinechannel--") for n in names):
            return "group"  # kfyaml's plain group (KFP has none): its values travel as channels
        return "nested"

    def frame_of(self, task: dict) -> Frame:
        return self.frames[task["componentRef"]["name"]]

    def id_of(self, frame: Frame, key: str) -> str:
        return self.ids[(frame.comp_name, key)]

    def new_id(self, wanted: str) -> str:
        base = re.sub(r"[^a-z0-9_]", "_", wanted.lower()).strip("_") or "step"
        if not _ID.match(base):
            base = "step_" + base
        name, n = base, 2
        while name in self.used_ids:
            name, n = f"{base}_{n}", n + 1
        self.used_ids.add(name)
        return name

    def branch_output_name(self, branches_key: str, key: str) -> str:
        return self.branch_outputs.setdefault(
            (branches_key, key), re.sub(r"[^A-Za-z0-9_]", "_", key.removeprefix("pipelinechannel--").removeprefix(branches_key + "-")))
