"""Pass 6, lower: a checked `Pipeline` to KFP v2 IR (PipelineSpec + PlatformSpec).

The IR is a tree of DAG components ("scopes"): the root, one per group, and
the wrappers KFP's backend needs for loops (`for-loop-N`), conditions
(`condition-N`) and `finally:` (`exit-handler-1`). Dicts are built with the
field names of the `kfp-pipeline-spec` protobuf messages (JSON form); the
test suite parses every output strictly into those messages. The messages
themselves are not imported: `kfp.pipeline_spec` imports all of kfp, which
compile must not pay for.

    state.py       the one mutable object of the pass: scopes, components, executors
    scopes.py      where each step's task goes (loop, condition, group, branches DAGs)
    channels.py    values across scopes: DAG inputs down, DAG outputs up
    tasks.py       a step's task: `with:` inputs, caching, retries, `finally:`
    loops.py       `for_each:`/`matrix:` as parameterIterator
    conditions.py  `if:` and `branches:` as CEL trigger conditions, OneOf outputs
    components.py  a component per task, executors deduplicated; resources
    constants.py   literal values as `runtimeValue.constant` holds them
    platform.py    `kubernetes:`/`timeout:` as kfp-kubernetes' PlatformSpec
    imports.py     component files, nested pipelines, importers for artifact params
    assemble.py    dependencies, DAG components, the root's interface
"""

from __future__ import annotations

from ..checks.references import References
from ..model import Pipeline, Step
from .assemble import add_dependencies, assemble, pipeline_outputs
from .imports import add_importer
from .scopes import new_scope, place
from .state import Lowering, task_name
from .tasks import lower_step


def lower(pipeline: Pipeline, refs: References, deps: dict[Step, set[Step]], nested: bool = False
          ) -> tuple[dict, dict | None]:
    lw = Lowering(pipeline, refs, deps, nested)
    lw.taken = {task_name(s.id) for s in pipeline.all_steps()}
    main_scope = lw.root
    if pipeline.finally_steps:
        lw.exit_scope = new_scope(lw, "exit", lw.root)
        main_scope = lw.exit_scope
    for name, param in pipeline.params.items():
        if lw.imports(param) and name in refs.used_params:
            add_importer(lw, param)
    for step in pipeline.steps:
        place(lw, step, main_scope)
    for step in pipeline.finally_steps:
        place(lw, step, lw.root)
    for step in pipeline.steps + pipeline.finally_steps:
        lower_step(lw, step)
    add_dependencies(lw)
    return assemble(lw, pipeline_outputs(lw))


__all__ = ["lower"]
