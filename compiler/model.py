"""The typed pipeline that the resolve pass builds and later passes read.

Every object keeps the YAML path it came from, so any check can report a
location through `Document.locate` without carrying line numbers around.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kfyaml.ir.types import SCHEMA_TITLE

from .load import Path

ARTIFACT_TYPES = tuple(SCHEMA_TITLE)


@dataclasses.dataclass(frozen=True)
class Type:
    """A value or artifact type; `list` may know its element type."""

    name: str
    item: Type | None = None

    @property
    def is_artifact(self) -> bool:
        return self.name in ARTIFACT_TYPES or (self.name == "list" and self.item is not None and self.item.is_artifact)

    def __str__(self) -> str:
        if self.name == "list" and self.item is not None:
            return f"list of {self.item}"
        return self.name


ANY = Type("any")
BOOL = Type("bool")
STRING = Type("string")
STATUS = Type("status")


# ---- expressions -----------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Ref:
    """A name in an expression: `params.x`, `steps.a.outputs.b`, `item.f`, ..."""

    root: str               # params | steps | loop | pipeline | inputs | outputs
    parts: tuple[str, ...]  # the rest of the dotted name
    text: str               # as written, for messages
    field: str | None = None  # `.field` selected from a loop item


@dataclasses.dataclass(frozen=True)
class Const:
    value: Any


@dataclasses.dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >= in
    left: Expr
    right: Expr


@dataclasses.dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    items: tuple[Expr, ...]


@dataclasses.dataclass(frozen=True)
class Not:
    operand: Expr


@dataclasses.dataclass(frozen=True)
class ListLit:
    items: tuple[Expr, ...]


Expr = Ref | Const | Compare | BoolOp | Not | ListLit


@dataclasses.dataclass(frozen=True)
class Template:
    """A YAML string holding `${{ }}`: text parts and expressions in order.

    A template that is exactly one expression (`whole`) keeps the
    expression's type; any text around it makes a string.
    """

    parts: tuple[str | Expr, ...]
    path: Path
    offsets: tuple[int, ...]  # where each expression starts in the string

    @property
    def whole(self) -> Expr | None:
        if len(self.parts) == 1 and not isinstance(self.parts[0], str):
            return self.parts[0]
        return None

    @property
    def exprs(self) -> list[Expr]:
        return [p for p in self.parts if not isinstance(p, str)]


@dataclasses.dataclass(frozen=True)
class Literal:
    value: Any
    path: Path


@dataclasses.dataclass(frozen=True)
class Gathered:
    """A list or mapping written in YAML with `${{ }}` among its values, at any depth.

    KFP builds such a value when the task starts: the constant holds an input
    placeholder where each expression stands, and each value it names becomes
    an input of the task (so the task waits for every producer). `value` is
    the YAML list or dict with every string that held `${{ }}` replaced by its
    Template; nothing in it is text waiting to be read again.
    """

    value: Any
    path: Path

    def templates(self) -> list[Template]:
        found: list[Template] = []

        def walk(node: Any) -> None:
            if isinstance(node, Template):
                found.append(node)
            elif isinstance(node, dict):
                for item in node.values():
                    walk(item)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(self.value)
        return found


Value = Literal | Template | Gathered


def gathers(value: Any) -> bool:
    """Whether a value is built when the task starts: a Gathered list or mapping, or a Template that is
    one list expression naming a value (`${{ [params.a, steps.b.outputs.c] }}`), built as a list written
    in YAML is."""
    if isinstance(value, Gathered):
        return True
    whole = value.whole if isinstance(value, Template) else None
    return isinstance(whole, ListLit) and _names_a_value(whole)


def _names_a_value(expr: Expr) -> bool:
    if isinstance(expr, ListLit):
        return any(_names_a_value(item) for item in expr.items)
    return not isinstance(expr, Const)


def templates_in(value: Any) -> list[Template]:
    """The expressions a value holds: itself when a Template, those inside a Gathered list or mapping."""
    if isinstance(value, Template):
        return [value]
    if isinstance(value, Gathered):
        return value.templates()
    return []


# ---- components and steps --------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Port:
    name: str
    type: Type
    path: Path
    default: Any = None
    has_default: bool = False
    description: str | None = None


@dataclasses.dataclass(frozen=True)
class Component:
    """What a step runs: its typed interface and its container.

    `command` and `args` keep their `${{ inputs.x }}`/`${{ outputs.y }}`
    placeholders as Templates; lowering turns them into KFP placeholders.
    """

    name: str
    inputs: dict[str, Port]
    outputs: dict[str, Port]
    image: str | Template
    command: tuple[Value, ...] = ()
    args: tuple[Value, ...] = ()
    path: Path = ()
    python: object | None = None  # a python_step.PythonFunction for `python:` steps
    packages: tuple[str, ...] = ()
    dag: dict | None = None           # KFP IR (a component file or a nested pipeline), used as a DAG
    dag_platform: dict | None = None  # its PlatformSpec, if any
    source: str | None = None         # the file it came from, so each file is emitted once
    executor: dict | None = None      # a prebuilt executor (standard-library steps)
    settings: dict = dataclasses.field(default_factory=dict)  # default settings the step inherits
    env: dict = dataclasses.field(default_factory=dict)       # a component file's own env; a step's overrides it
    importer: dict | None = None  # an importer step: {"type", "metadata", "reimport"}; its URI is the input `uri`


@dataclasses.dataclass(frozen=True)
class Resources:
    """Each amount is as written, or a one-expression Template naming a param."""

    cpu: str | Template | None = None
    memory: str | Template | None = None
    cpu_request: str | Template | None = None
    memory_request: str | Template | None = None
    gpu: int | Template | None = None
    gpu_type: str | Template | None = None

    def templates(self) -> list[Template]:
        values = (getattr(self, f.name) for f in dataclasses.fields(self))  # astuple would copy them
        return [v for v in values if isinstance(v, Template)]


@dataclasses.dataclass(frozen=True)
class Retry:
    max: int = 0
    backoff_s: float = 0
    factor: float = 2.0
    max_backoff_s: float = 3600


@dataclasses.dataclass(frozen=True)
class Source:
    """A secret or config map exposed to a step as env vars and/or files."""

    name: Value             # a Literal or a one-expression Template (a param)
    env: tuple[tuple[str, str], ...]  # (env var, key)
    mount: str | None
    optional: bool


@dataclasses.dataclass(frozen=True)
class Kubernetes:
    """`kubernetes:` settings, lowered to kfp-kubernetes' PlatformSpec fields."""

    node_selector: tuple[tuple[str, str], ...] | Template = ()  # labels, or one expression naming a dict
    tolerations: tuple[dict | Template, ...] = ()               # each literal, or one expression naming a dict
    node_affinity: tuple[dict, ...] | Template = ()             # terms, or one expression naming a dict
    secrets: tuple[Source, ...] = ()
    config_maps: tuple[Source, ...] = ()
    volumes: tuple[tuple[Value, str, str | None], ...] = ()  # (claim, mount path, sub path in the volume)
    shm_size: str | None = None
    image_pull_policy: str | None = None
    image_pull_secrets: tuple[str, ...] = ()

    def names(self) -> list[Value]:
        """Every value here that may be an expression."""
        return [s.name for s in self.secrets + self.config_maps] + [claim for claim, _, _ in self.volumes]

    def json_values(self) -> list[Template]:
        """Settings given whole as one expression (a dict): KFP's `*_json` forms."""
        values = [self.node_selector, self.node_affinity] + list(self.tolerations)
        return [v for v in values if isinstance(v, Template)]


@dataclasses.dataclass(frozen=True)
class Loop:
    """`for_each:` with its variable; `items` is a literal list or a Template."""

    items: Literal | Template
    var: str                # `item`, the `as:` name, or `matrix`
    max_parallel: int | None
    item_type: Type | None  # None over an expression: the references pass types its items
    fields: tuple[tuple[str, Type], ...] = ()  # known fields of dict items: the matrix axes


@dataclasses.dataclass(eq=False)
class Step:
    id: str
    path: Path
    kind: str  # component | group
    component: Component | None = None
    args: dict[str, Value] = dataclasses.field(default_factory=dict)
    needs: list[tuple[str, Path]] = dataclasses.field(default_factory=list)
    condition: Template | None = None
    loop: Loop | None = None
    cache: bool = True
    cache_key: str | None = None
    retry: Retry | None = None
    resources: Resources = Resources()
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    timeout_s: int | None = None
    kubernetes: Kubernetes = Kubernetes()
    display_name: str | None = None
    children: list[Step] = dataclasses.field(default_factory=list)
    finally_children: list[Step] = dataclasses.field(default_factory=list)  # a top-level group's `finally:`
    parent: Step | None = None
    in_finally: bool = False
    ignore_upstream_failure: bool = False   # runs even when a step it waits for failed
    is_else: bool = False  # the `else:` branch of a `branches:` step
    branch_outputs: dict[str, list[Template]] = dataclasses.field(default_factory=dict)  # name -> one per branch
    written: frozenset = frozenset()        # the keys written on this step, to locate inherited settings
    unparsed_args: frozenset = frozenset()  # `with:` values whose expressions failed to parse

    def ancestors(self) -> list[Step]:
        """Enclosing groups, innermost first."""
        out, node = [], self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return out

    @property
    def skippable(self) -> bool:
        """Whether this step or group may not run: an `if:`, an `elif:` or an `else:`."""
        return self.condition is not None or self.is_else

    def walk(self):
        yield self
        for child in self.children + self.finally_children:
            yield from child.walk()


# A pipeline param has exactly a port's shape: a typed, optionally defaulted name.
Param = Port


@dataclasses.dataclass(frozen=True)
class Schedule:
    """`schedule:`: a KFP recurring run (cron in KFP's six-field form, with seconds, or an interval)."""

    name: str
    cron: str | None
    interval_s: int | None
    timezone: str | None
    max_concurrency: int
    catchup: bool
    start: str | None
    end: str | None
    params: dict


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """`pipeline_config:`: a whole run's settings on Kubernetes (KFP's `dsl.PipelineConfig`), in seconds."""

    timeout_s: int | None = None
    ttl_finished_s: int | None = None
    ttl_success_s: int | None = None
    ttl_failure_s: int | None = None
    workspace_size: str | None = None
    workspace_pvc_patch: dict | None = None


@dataclasses.dataclass
class Pipeline:
    name: str
    description: str | None
    params: dict[str, Param]
    steps: list[Step]
    finally_steps: list[Step]
    outputs: dict[str, Template]
    display_name: str
    schedule: Schedule | None = None
    root: str | None = None          # `pipeline_root:`, the IR's defaultPipelineRoot
    config: RunConfig = RunConfig()  # `pipeline_config:`

    def all_steps(self):
        for step in self.steps + self.finally_steps:
            yield from step.walk()
