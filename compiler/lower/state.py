"""What lowering builds up: the scopes (DAG components) and the shared components and executors.

`Lowering` is the one mutable object of the pass: the modules of this
package each fill in their part of it (a scope's tasks, a component, a
PlatformSpec entry), in the order `lower()` calls them. The model and the
check results it reads are never changed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..checks.references import References
from ..model import Pipeline, Step, Type


@dataclasses.dataclass(frozen=True)
class Source:
    """Where a value comes from: a param, a step output, a loop item (and field)."""

    kind: str  # param | output | loop
    key: Any   # param name | (Step, output name) | loop Step
    type: Type
    field: str | None = None

    @property
    def whole(self) -> Source:
        return dataclasses.replace(self, field=None) if self.field else self


@dataclasses.dataclass(eq=False)
class Scope:
    """One DAG component of the IR: the root, a group, a loop, a condition, the exit handler."""

    name: str                   # component name without "comp-"
    kind: str                   # root | group | loop | condition | branches | exit
    parent: Scope | None
    task: str | None            # this scope's task name in its parent
    tasks: dict[str, dict] = dataclasses.field(default_factory=dict)
    inputs: dict[str, Type] = dataclasses.field(default_factory=dict)
    outputs: dict[str, tuple[Type, dict]] = dataclasses.field(default_factory=dict)
    item_input: str | None = None  # loops: the input the iterator sets

    def chain(self) -> list[Scope]:
        """This scope and its enclosing scopes, innermost first."""
        out, node = [], self
        while node is not None:
            out.append(node)
            node = node.parent
        return out


@dataclasses.dataclass(eq=False)
class Lowering:
    pipeline: Pipeline
    refs: References
    deps: dict[Step, set[Step]]
    nested: bool = False  # compiled for `uses:`: artifact params are input artifacts, not importers

    def imports(self, param) -> bool:
        """Whether an artifact param comes in through an importer task (a URI at the root of the main
        pipeline) rather than as an input artifact of the DAG (a nested pipeline's, or KFP's optional
        `Input[Dataset] = None` pipeline input: `optional: true` with no default)."""
        return param.type.is_artifact and not self.nested and not (param.has_default and param.default is None)
    root: Scope = dataclasses.field(default_factory=lambda: Scope("root", "root", None, None))
    counter: int = 0
    taken: set[str] = dataclasses.field(default_factory=set)          # task and DAG names in use
    dag_names: set[str] = dataclasses.field(default_factory=set)
    leaf: dict[Step, tuple[Scope, str]] = dataclasses.field(default_factory=dict)   # where a step's own task is
    outer: dict[Step, tuple[Scope, str]] = dataclasses.field(default_factory=dict)  # its outermost task among siblings
    loop_scope: dict[Step, Scope] = dataclasses.field(default_factory=dict)
    condition_of: dict[Step, Scope] = dataclasses.field(default_factory=dict)
    branches_scope: dict[Step, Scope] = dataclasses.field(default_factory=dict)
    exit_scope: Scope | None = None  # the pipeline's `finally:` exit handler
    exit_of: dict[Step, Scope] = dataclasses.field(default_factory=dict)  # a group's `finally:` exit handler
    components: dict[str, dict] = dataclasses.field(default_factory=dict)
    executors: dict[str, dict] = dataclasses.field(default_factory=dict)
    executor_names: dict[str, str] = dataclasses.field(default_factory=dict)  # content key -> executor label
    platform_executors: dict[str, dict] = dataclasses.field(default_factory=dict)
    imported: dict[str, str] = dataclasses.field(default_factory=dict)  # component file -> its root DAG's name
    importers: dict[str, Step] = dataclasses.field(default_factory=dict)  # artifact param -> its importer


def task_name(step_id: str) -> str:
    return step_id.replace("_", "-")


def unique_name(lw: Lowering, base: str, executors_only: bool = False) -> str:
    """A component/executor name not used yet: imported files bring names of their own."""
    name, n = base, 1
    while f"exec-{name}" in lw.executors or not executors_only and (
            f"comp-{name}" in lw.components or name in lw.dag_names):
        n += 1
        name = f"{base}-{n}"
    return name
