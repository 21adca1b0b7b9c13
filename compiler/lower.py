"""Pass 6, lower: a checked `Pipeline` to KFP v2 IR (PipelineSpec + PlatformSpec).

The IR is a tree of DAG components ("scopes"): the root, one per group, and
the wrappers KFP's backend needs for loops (`for-loop-N`), conditions
(`condition-N`) and `finally:` (`exit-handler-1`). A value crosses scope
boundaries the way KFP's own compiler plumbs it: down through
`pipelinechannel--*` inputs of each DAG on the way, up through DAG outputs
(a list when it leaves a loop: fan-in). `_Lowering.bind` does both, from
whichever scope a task sits in, so every consumer is lowered the same way.

Dicts are built with the field names of the `kfp-pipeline-spec` protobuf
messages (JSON form); the test suite parses every output strictly into
`pipeline_spec_pb2.PipelineSpec`. The messages themselves are not imported:
`kfp.pipeline_spec` imports all of kfp, which compile must not pay for.

Identical components and executors (same interface, image, command,
resources, env, timeout) are emitted once and shared.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from .cel import CelLowering
from .checks.references import References, refs_in
from .model import (BOOL, Const, ListLit, PARAMETER_TYPE, SCHEMA_TITLE, Component, Expr, Literal, Pipeline, Port, Ref, Step,
                    Template, Type)
from .resolve import literal_type, memory_gb

SDK_VERSION = "kfyaml-0.1.0"
SCHEMA_VERSION = "2.1.0"
FINAL_STATUS = "TASK_FINAL_STATUS"


@dataclasses.dataclass(frozen=True)
class Source:
    """Where a value comes from: a param, a step output, a loop item (and field)."""

    kind: str  # param | output | loop
    key: Any   # param name | (Step, output name) | loop Step
    type: Type
    field: str | None = None

    @property
    def whole(self) -> "Source":
        return dataclasses.replace(self, field=None) if self.field else self


@dataclasses.dataclass(eq=False)
class Scope:
    name: str                   # component name without "comp-"
    kind: str                   # root | group | loop | condition | exit
    parent: "Scope | None"
    task: str | None            # this scope's task name in its parent
    tasks: dict[str, dict] = dataclasses.field(default_factory=dict)
    inputs: dict[str, Type] = dataclasses.field(default_factory=dict)
    outputs: dict[str, tuple[Type, dict]] = dataclasses.field(default_factory=dict)
    item_input: str | None = None  # loops: the input the iterator sets

    def chain(self) -> list["Scope"]:
        out, node = [], self
        while node is not None:
            out.append(node)
            node = node.parent
        return out


def task_name(step_id: str) -> str:
    return step_id.replace("_", "-")


def _param_type(t: Type) -> str:
    return PARAMETER_TYPE.get(t.name, "STRING")


def _artifact_type(t: Type) -> dict:
    base = t.item if t.name == "list" else t
    return {"schemaTitle": SCHEMA_TITLE[base.name], "schemaVersion": "0.0.1"}


def _artifact_spec(t: Type) -> dict:
    spec = {"artifactType": _artifact_type(t)}
    if t.name == "list":
        spec["isArtifactList"] = True
    return spec


def _listed(t: Type) -> Type:
    return Type("list", t)


def _seconds(value: float) -> str:
    return f"{int(value)}s" if float(value).is_integer() else f"{value}s"


def _number(text: str) -> float:
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


class _Lowering:
    def __init__(self, pipeline: Pipeline, refs: References, deps: dict[Step, set[Step]], nested: bool = False):
        self.nested = nested  # compiled for `uses:`: artifact params are input artifacts, not importers
        self.imported: dict[str, str] = {}  # component file -> the component name its root DAG got
        self.dag_names: set[str] = set()
        self.pipeline = pipeline
        self.refs = refs
        self.deps = deps
        self.root = Scope("root", "root", None, None)
        self.counter = 0
        self.taken = {task_name(s.id) for s in pipeline.all_steps()}
        self.leaf: dict[Step, tuple[Scope, str]] = {}      # where a step's own task is
        self.outer: dict[Step, tuple[Scope, str]] = {}     # its outermost task, among its siblings
        self.loop_scope: dict[Step, Scope] = {}
        self.components: dict[str, dict] = {}
        self.executors: dict[str, dict] = {}
        self.component_names: dict[str, str] = {}          # content key -> component name
        self.platform_executors: dict[str, dict] = {}
        self.exit_scope: Scope | None = None
        self.condition_of: dict[Step, Scope] = {}
        self.branches_scope: dict[Step, Scope] = {}
        self.importers: dict[str, Step] = {}  # artifact param -> the importer standing in as its producer

    # ---- scopes --------------------------------------------------------------

    def new_scope(self, kind: str, parent: Scope, base: str | None = None) -> Scope:
        if base is None:
            prefix = {"loop": "for-loop", "condition": "condition", "exit": "exit-handler",
                      "branches": "condition-branches"}[kind]
            while True:
                self.counter += 1
                base = f"{prefix}-{self.counter}"
                if base not in self.taken:
                    break
        self.taken.add(base)
        self.dag_names.add(base)  # `comp-<base>` will be this DAG's component
        scope = Scope(base, kind, parent, base)
        parent.tasks[base] = {"componentRef": {"name": f"comp-{base}"}, "taskInfo": {"name": base}}
        return scope

    def place(self, step: Step, scope: Scope):
        """Create the scopes and task for one step (and its children) inside `scope`.

        A leaf step sits in `for-loop-N` and/or `condition-N` wrappers. A group
        is its own DAG: with only `for_each:` that DAG is the loop, with `if:`
        its task carries the condition (inside the loop when it has both, so
        the condition is evaluated per item).
        """
        name = task_name(step.id)
        current, outer_task = scope, None
        is_group = step.kind == "group"
        if step.loop is not None:
            loop = self.new_scope("loop", current, base=name if is_group and step.condition is None else None)
            self.loop_scope[step] = loop
            outer_task, current = loop.task, loop
        if step.kind == "branches":
            branches = self.new_scope("branches", current)
            self.branches_scope[step] = branches
            for branch in step.children:
                cond = self.new_scope("condition", branches)
                self.condition_of[branch] = cond
                self.leaf[branch] = (cond, cond.task)
                for child in branch.children:
                    self.place(child, cond)
            self.leaf[step] = (current, branches.task)
            self.outer[step] = (scope, outer_task or branches.task)
            return
        if is_group:
            if step.loop is not None and step.condition is None:
                group = current
            else:
                group = self.new_scope("group", current, base=name)
                outer_task = outer_task or group.task
            if step.condition is not None:
                self.condition_of[step] = group
            if step.display_name:
                group.parent.tasks[group.task]["taskInfo"]["name"] = step.display_name
            self.leaf[step] = (group, group.task)
            for child in step.children:
                self.place(child, group)
        else:
            if step.condition is not None:
                cond = self.new_scope("condition", current)
                self.condition_of[step] = cond
                outer_task, current = outer_task or cond.task, cond
            current.tasks[name] = {"taskInfo": {"name": step.display_name or name}}
            outer_task = outer_task or name
            self.leaf[step] = (current, name)
        self.outer[step] = (scope, outer_task)

    # ---- values across scopes -------------------------------------------------

    def source_of(self, ref: Ref) -> Source | None:
        info = self.refs.info(ref)
        if info.kind == "param" and info.type.is_artifact and not self.nested:
            return Source("output", (self.importers[info.param.name], "artifact"), info.type)
        if info.kind == "param":
            return Source("param", info.param.name, info.param.type)
        if info.kind == "output":
            return Source("output", (info.producer, info.output.name), info.output.type)
        if info.kind == "loop":
            return Source("loop", info.loop_step, info.type, info.field)
        return None  # pipeline.status is bound directly

    def channel(self, src: Source) -> str:
        if src.kind == "param":
            name = f"pipelinechannel--{src.key}"
        elif src.kind == "output":
            # `<task>--<output>`, where KFP writes one dash: backends resolve channels through their
            # bindings, but kfp.local finds a condition's values by parsing this name, and
            # understands only `<task>-Output` and `<task>--<output>`.
            producer, output = src.key
            name = f"pipelinechannel--{self.leaf[producer][1]}--{output}"
        else:
            name = self.loop_scope[src.key].item_input
        return f"{name}-subvar-{src.field}" if src.field else name

    def ensure_input(self, scope: Scope, src: Source) -> str:
        """Make `src` an input of DAG `scope`, bound by its task in the parent scope."""
        name = self.channel(src)
        if name not in scope.inputs:
            scope.inputs[name] = src.type
            binding, dep = self.bind(scope.parent, src)
            task = scope.parent.tasks[scope.task]
            self.add_input(task, name, binding, src.type.is_artifact)
            _wait(task, dep)
        return name

    def bind(self, scope: Scope, src: Source) -> tuple[dict, str | None]:
        """The binding a task in `scope` uses to read `src`, and the sibling task it must wait for."""
        if src.field:
            binding, dep = self.bind(scope, src.whole)
            return {**binding, "parameterExpressionSelector": f'parseJson(string_value)["{src.field}"]'}, dep
        artifact = src.type.is_artifact
        if src.kind == "param":
            key = "componentInputArtifact" if artifact else "componentInputParameter"
            return {key: src.key if scope is self.root else self.ensure_input(scope, src)}, None
        if src.kind == "loop":
            loop = self.loop_scope[src.key]
            if scope is loop:
                return {"componentInputParameter": loop.item_input}, None
            return {"componentInputParameter": self.ensure_input(scope, src)}, None
        producer, output = src.key
        pscope, ptask = self.leaf[producer]
        if pscope is scope:
            key = "taskOutputArtifact" if artifact else "taskOutputParameter"
            field = "outputArtifactKey" if artifact else "outputParameterKey"
            return {key: {field: output, "producerTask": ptask}}, ptask
        chain = pscope.chain()
        if scope in chain:
            child = chain[chain.index(scope) - 1]
            key_name = self.expose(child, src)
            key = "taskOutputArtifact" if artifact else "taskOutputParameter"
            field = "outputArtifactKey" if artifact else "outputParameterKey"
            return {key: {field: key_name, "producerTask": child.task}}, child.task
        name = self.ensure_input(scope, src)
        return {"componentInputArtifact" if artifact else "componentInputParameter": name}, None

    def expose(self, scope: Scope, src: Source) -> str:
        """Make `src`, produced inside `scope`, an output of that DAG; a list if it is a loop."""
        name = self.channel(src)
        if name in scope.outputs:
            return name
        producer, output = src.key
        pscope, ptask = self.leaf[producer]
        if pscope is scope:
            inner_task, inner_key, inner_type = ptask, output, src.type
        else:
            chain = pscope.chain()
            child = chain[chain.index(scope) - 1]
            inner_key = self.expose(child, src)
            inner_task, inner_type = child.task, child.outputs[inner_key][0]
        t = _listed(inner_type) if scope.kind == "loop" else inner_type
        if t.is_artifact:
            selector = {"artifactSelectors": [{"outputArtifactKey": inner_key, "producerSubtask": inner_task}]}
        else:
            selector = {"valueFromParameter": {"outputParameterKey": inner_key, "producerSubtask": inner_task}}
        scope.outputs[name] = (t, selector)
        return name

    @staticmethod
    def add_input(task: dict, name: str, binding: dict, artifact: bool):
        task.setdefault("inputs", {}).setdefault("artifacts" if artifact else "parameters", {})[name] = binding

    # ---- tasks -----------------------------------------------------------------

    def lower_step(self, step: Step):
        if step.kind == "branches":
            self.lower_branches(step)
            return
        scope, name = self.leaf[step]
        if step.loop is not None:
            self.lower_loop(step)
        if step.condition is not None:
            self.lower_condition(step)
        if step.kind == "group":
            for child in step.children:
                self.lower_step(child)
            return
        task = scope.tasks[name]
        component = step.component
        if component.dag is not None:
            task["componentRef"] = {"name": self.import_dag(component, task_name(step.id))}
        status_inputs = set()
        for input_name, value in sorted(step.args.items()):
            port = component.inputs[input_name]
            if isinstance(value, Literal):
                self.add_input(task, input_name, {"runtimeValue": {"constant": _constant(value.value, port.type)}}, False)
                continue
            whole = value.whole
            if whole is not None:
                info = self.refs.info(whole) if isinstance(whole, Ref) else None
                if info is not None and info.kind == "status":
                    producer = self.exit_scope.task
                    self.add_input(task, input_name, {"taskFinalStatus": {"producerTask": producer}}, False)
                    status_inputs.add(input_name)
                    continue
                if isinstance(whole, Ref):
                    binding, dep = self.bind(scope, self.source_of(whole))
                    self.add_input(task, input_name, binding, port.type.is_artifact)
                    _wait(task, dep)
                    continue
                self.add_input(task, input_name, {"runtimeValue": {"constant": _const_expr(whole)}}, False)
                continue
            text = []
            for part in value.parts:
                if isinstance(part, str):
                    text.append(part)
                elif isinstance(part, Ref):
                    src = self.source_of(part)
                    chan = self.channel(src)
                    binding, dep = self.bind(scope, src)
                    self.add_input(task, chan, binding, False)
                    _wait(task, dep)
                    text.append("{{$.inputs.parameters['%s']}}" % chan)
                else:
                    text.append(_text_of(_const_expr(part)))
            self.add_input(task, input_name, {"runtimeValue": {"constant": "".join(text)}}, False)
        if component.dag is not None:
            return  # a nested DAG: its own steps carry their settings
        runtime = self.runtime_values(step, task, scope)
        task["componentRef"] = {"name": self.component_for(step, status_inputs, scope, runtime)}
        task["cachingOptions"] = ({"enableCache": True} if step.cache else {})
        if step.cache and step.cache_key:
            task["cachingOptions"]["cacheKey"] = step.cache_key
        if step.retry is not None and step.retry.max > 0:  # max: 0 turns inherited retries off
            r = step.retry
            task["retryPolicy"] = {"maxRetryCount": r.max, "backoffDuration": _seconds(r.backoff_s),
                                   "backoffFactor": r.factor, "backoffMaxDuration": _seconds(r.max_backoff_s)}
        if step.in_finally:
            task["triggerPolicy"] = {"strategy": "ALL_UPSTREAM_TASKS_COMPLETED"}
            _wait(task, self.exit_scope.task)

    def lower_loop(self, step: Step):
        loop = self.loop_scope[step]
        parent = loop.parent
        task = parent.tasks[loop.task]
        items = step.loop.items
        if isinstance(items, Literal):
            loop.item_input = f"pipelinechannel--loop-item-param-{loop.name.rsplit('-', 1)[-1]}" \
                if loop.name.startswith("for-loop-") else f"pipelinechannel--{loop.name}-loop-item"
            task["parameterIterator"] = {"itemInput": loop.item_input,
                                         "items": {"raw": json.dumps(items.value, sort_keys=True, separators=(", ", ": "))}}
        else:
            src = self.source_of(items.whole)
            list_src = dataclasses.replace(src, type=src.type if src.type.name == "list" else Type("list"))
            # The list is an input of the loop DAG, bound in the parent; the iterator walks it.
            name = self.channel(list_src)
            loop.inputs[name] = list_src.type
            binding, dep = self.bind(parent, list_src)
            self.add_input(task, name, binding, False)
            _wait(task, dep)
            loop.item_input = f"{name}-loop-item"
            task["parameterIterator"] = {"itemInput": loop.item_input, "items": {"inputParameter": name}}
        item_type = step.loop.item_type
        loop.inputs[loop.item_input] = item_type if item_type.name not in ("any",) else Type("string")
        if step.loop.max_parallel:
            task["iteratorPolicy"] = {"parallelismLimit": step.loop.max_parallel}

    def lower_branches(self, route: Step):
        """KFP condition branches: branch i runs when every earlier condition is false and its own
        is true (`!(c1) && c2`); the else branch when all are false. Branch outputs become the
        branches DAG's OneOf outputs."""
        previous: list[Expr] = []
        for branch in route.children:
            cond = self.condition_of[branch]
            exprs = previous + ([branch.condition.whole] if branch.condition is not None else [])
            names = {id(ref): self.ensure_input(cond, self.source_of(ref)) for e in exprs for ref in refs_in(e)}
            cel = CelLowering(lambda r: names[id(r)], self.expr_type)
            parts = [f"!({cel.lower(e)})" for e in previous]
            if branch.condition is not None:
                parts.append(cel.lower(branch.condition.whole))
                previous.append(branch.condition.whole)
            cond.parent.tasks[cond.task]["triggerPolicy"] = {"condition": " && ".join(parts)}
            for child in branch.children:
                self.lower_step(child)
        branches = self.branches_scope[route]
        for name, templates in route.branch_outputs.items():
            selectors, t = [], None
            for branch, template in zip(route.children, templates):
                cond = self.condition_of[branch]
                key = self.expose(cond, self.source_of(template.whole))
                t = cond.outputs[key][0]
                selectors.append((cond.task, key))
            if t.is_artifact:
                selector = {"artifactSelectors": [{"outputArtifactKey": k, "producerSubtask": task} for task, k in selectors]}
            else:
                selector = {"valueFromOneof": {"parameterSelectors": [
                    {"outputParameterKey": k, "producerSubtask": task} for task, k in selectors]}}
            branches.outputs[name] = (t, selector)

    def lower_condition(self, step: Step):
        scope = self.condition_of[step]
        expr = step.condition.whole
        names: dict[int, str] = {}
        for ref in refs_in(expr):
            names[id(ref)] = self.ensure_input(scope, self.source_of(ref))
        cel = CelLowering(lambda r: names[id(r)], self.expr_type).lower(expr)
        scope.parent.tasks[scope.task]["triggerPolicy"] = {"condition": cel}

    def expr_type(self, expr: Expr) -> Type:
        if isinstance(expr, Ref):
            return self.refs.info(expr).type
        if isinstance(expr, Const):
            return literal_type(expr.value)
        if isinstance(expr, ListLit):
            kinds = {self.expr_type(i) for i in expr.items}
            return Type("list", kinds.pop() if len(kinds) == 1 else None)
        return BOOL

    # ---- components and executors ----------------------------------------------

    def runtime_values(self, step: Step, task: dict, scope: Scope) -> dict[str, str]:
        """Resources and image read from params, as KFP passes them: each param becomes a task
        input, a named task input (`cpu_limit`, `base_image`, ...) holds its placeholder, and the
        executor field holds the same placeholder."""
        values = {field: getattr(step.resources, field) for field in _RUNTIME_INPUT if field != "image"}
        values["image"] = step.component.image
        out = {}
        for field, value in values.items():
            if not isinstance(value, Template):
                continue
            src = self.source_of(value.whole)
            chan = self.channel(src)
            binding, dep = self.bind(scope, src)
            self.add_input(task, chan, binding, False)
            _wait(task, dep)
            placeholder = "{{$.inputs.parameters['%s']}}" % chan
            self.add_input(task, _RUNTIME_INPUT[field], {"runtimeValue": {"constant": placeholder}}, False)
            out[field] = placeholder
        return out

    def component_for(self, step: Step, status_inputs: set[str], scope: Scope, runtime: dict[str, str]) -> str:
        """The name of the step's component, shared with every identical step."""
        component = step.component
        spec: dict = {}
        inputs = _io_definitions(component.inputs, status_inputs)
        if inputs:
            spec["inputDefinitions"] = inputs
        outputs = _io_definitions(component.outputs, set(), inputs=False)
        if outputs:
            spec["outputDefinitions"] = outputs
        if component.executor is not None:
            import copy

            container = copy.deepcopy(component.executor["container"])
        elif component.python is not None:
            from .python_step import executor as python_executor

            container = python_executor(component.python, runtime.get("image", component.image), list(component.packages))["container"]
        else:
            container = {"image": runtime.get("image", component.image)}
            command = [_placeholder_text(v, component) for v in component.command]
            args = [_placeholder_text(v, component) for v in component.args]
            if command:
                container["command"] = command
            if args:
                container["args"] = args
        if step.env:
            container["env"] = [{"name": k, "value": v} for k, v in step.env.items()]
        resources = _resources(step, runtime)
        if resources:
            container["resources"] = resources
        executor = {"container": container}
        platform = self.platform(step, scope) or None
        key = json.dumps([spec, executor, platform], sort_keys=True)
        if key in self.component_names:
            name = self.component_names[key]
            return f"comp-{name}"
        name = self.unique_name(task_name(step.id))
        self.component_names[key] = name
        spec["executorLabel"] = f"exec-{name}"
        self.components[f"comp-{name}"] = spec
        self.executors[f"exec-{name}"] = executor
        if platform:
            self.platform_executors[f"exec-{name}"] = platform
        return f"comp-{name}"

    def platform(self, step: Step, scope: Scope) -> dict:
        """The step's kfp-kubernetes settings, field for field as kfp-kubernetes writes them."""
        k = step.kubernetes
        out: dict = {}
        if step.timeout_s:
            out["activeDeadlineSeconds"] = str(step.timeout_s)

        def name_parameter(value) -> dict:
            if isinstance(value, Literal):
                return {"runtimeValue": {"constant": value.value}}
            binding, _ = self.bind(scope, self.source_of(value.whole))
            return binding

        def named(value, field: str) -> dict:
            entry = {f"{field}Parameter": name_parameter(value)}
            if isinstance(value, Literal):
                entry[field] = value.value
            return entry

        for sources, kind, key_field in ((k.secrets, "secret", "secretKey"), (k.config_maps, "configMap", "configMapKey")):
            for src in sources:
                if src.env:
                    out.setdefault(f"{kind}AsEnv", []).append({
                        **named(src.name, f"{kind}Name"), "optional": src.optional,
                        "keyToEnv": [{key_field: key, "envVar": var} for var, key in src.env]})
                if src.mount:
                    out.setdefault(f"{kind}AsVolume", []).append({
                        **named(src.name, f"{kind}Name"), "mountPath": src.mount, "optional": src.optional})
        for claim, mount in k.volumes:
            entry = {"mountPath": mount, "pvcNameParameter": name_parameter(claim)}
            if isinstance(claim, Literal):
                entry["constant"] = claim.value
            else:
                entry["componentInputParameter"] = entry["pvcNameParameter"]["componentInputParameter"]
            out.setdefault("pvcMount", []).append(entry)
        if k.shm_size:
            out["emptyDirMounts"] = [{"volumeName": "dshm", "mountPath": "/dev/shm", "medium": "Memory",
                                      "sizeLimit": k.shm_size}]
        if k.node_selector:
            out["nodeSelector"] = {"labels": dict(k.node_selector)}
        if k.tolerations:
            out["tolerations"] = [_toleration(t) for t in k.tolerations]
        if k.image_pull_policy:
            out["imagePullPolicy"] = k.image_pull_policy
        if k.image_pull_secrets:
            out["imagePullSecret"] = [{"secretName": s, "secretNameParameter": {"runtimeValue": {"constant": s}}}
                                      for s in k.image_pull_secrets]
        return out

    # ---- the whole pipeline ----------------------------------------------------

    def run(self) -> tuple[dict, dict | None]:
        pipeline = self.pipeline
        main_scope = self.root
        if pipeline.finally_steps:
            self.exit_scope = self.new_scope("exit", self.root)
            main_scope = self.exit_scope
        for name, param in pipeline.params.items():
            if param.type.is_artifact and name in self.refs.used_params and not self.nested:
                self.add_importer(param)
        for step in pipeline.steps:
            self.place(step, main_scope)
        for step in pipeline.finally_steps:
            self.place(step, self.root)
        for step in pipeline.steps + pipeline.finally_steps:
            self.lower_step(step)
        self.add_dependencies()
        root_outputs = self.pipeline_outputs()
        return self.assemble(root_outputs)

    def unique_name(self, base: str, executors_only: bool = False) -> str:
        """A component/executor name not used yet: imported files bring names of their own."""
        name, n = base, 1
        while f"exec-{name}" in self.executors or not executors_only and (
                f"comp-{name}" in self.components or name in self.dag_names):
            n += 1
            name = f"{base}-{n}"
        return name

    def import_dag(self, component: Component, base: str) -> str:
        """A component file or nested pipeline: its IR, names prefixed, once per file."""
        import copy

        if component.source in self.imported:
            return self.imported[component.source]
        spec = component.dag
        prefix = self.unique_name(base)
        renames: dict[str, str] = {}
        for old in spec.get("components", {}):
            renames[old] = "comp-" + self.unique_name(prefix + "-" + old.removeprefix("comp-"))
            self.components[renames[old]] = {}  # reserve the name
        for old in spec.get("deploymentSpec", {}).get("executors", {}):
            new = "exec-" + self.unique_name(prefix + "-" + old.removeprefix("exec-"), executors_only=True)
            renames[old] = new
            self.executors[new] = copy.deepcopy(spec["deploymentSpec"]["executors"][old])

        def rename(node):
            if isinstance(node, dict):
                out = {}
                for k, v in node.items():
                    if k == "componentRef" and isinstance(v, dict):
                        out[k] = {**v, "name": renames.get(v.get("name"), v.get("name"))}
                    elif k == "executorLabel":
                        out[k] = renames.get(v, v)
                    else:
                        out[k] = rename(v)
                return out
            if isinstance(node, list):
                return [rename(v) for v in node]
            return node

        for old, comp in spec.get("components", {}).items():
            self.components[renames[old]] = rename(comp)
        root_name = f"comp-{prefix}"
        self.components[root_name] = rename(spec["root"])
        platform = ((component.dag_platform or {}).get("platforms", {}).get("kubernetes", {})
                    .get("deploymentSpec", {}).get("executors", {}))
        for old, config in platform.items():
            self.platform_executors[renames.get(old, old)] = copy.deepcopy(config)
        self.imported[component.source] = root_name
        return root_name

    def add_importer(self, param):
        """An artifact param is a URI; an importer task at the root turns it into the artifact."""
        base = f"importer-{task_name(param.name)}"
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}-{n}"
        self.taken.add(name)
        stand_in = Step(id=name, path=param.path, kind="component")
        self.importers[param.name] = stand_in
        self.leaf[stand_in] = (self.root, name)
        self.root.tasks[name] = {
            "cachingOptions": {"enableCache": True}, "componentRef": {"name": f"comp-{name}"},
            "inputs": {"parameters": {"uri": {"componentInputParameter": param.name}}}, "taskInfo": {"name": name}}
        self.components[f"comp-{name}"] = {
            "executorLabel": f"exec-{name}", "inputDefinitions": {"parameters": {"uri": {"parameterType": "STRING"}}},
            "outputDefinitions": {"artifacts": {"artifact": _artifact_spec(param.type)}}}
        self.executors[f"exec-{name}"] = {"importer": {"artifactUri": {"runtimeParameter": "uri"},
                                                       "typeSchema": _artifact_type(param.type)}}

    def add_dependencies(self):
        for step, preds in self.deps.items():
            if not preds:
                continue
            scope, name = self.outer[step]
            task = scope.tasks[name]
            for pred in preds:
                _wait(task, self.outer[pred][1])

    def pipeline_outputs(self) -> dict:
        out: dict = {"parameters": {}, "artifacts": {}}
        defs: dict = {"parameters": {}, "artifacts": {}}
        for name, template in self.pipeline.outputs.items():
            src = self.source_of(template.whole)
            info = self.refs.info(template.whole)
            t = info.type
            producer = info.producer
            pscope, ptask = self.leaf[producer]
            if pscope is self.root:
                inner_task, inner_key = ptask, info.output.name
            else:
                chain = pscope.chain()
                child = chain[chain.index(self.root) - 1]
                inner_key = self.expose(child, src)
                inner_task = child.task
            if t.is_artifact:
                out["artifacts"][name] = {"artifactSelectors": [{"outputArtifactKey": inner_key, "producerSubtask": inner_task}]}
                defs["artifacts"][name] = _artifact_spec(t)
            else:
                out["parameters"][name] = {"valueFromParameter": {"outputParameterKey": inner_key, "producerSubtask": inner_task}}
                defs["parameters"][name] = {"parameterType": _param_type(t)}
        return {"outputs": {k: v for k, v in out.items() if v}, "definitions": {k: v for k, v in defs.items() if v}}

    def scopes(self) -> list[Scope]:
        found = []

        def visit(scope: Scope):
            found.append(scope)
            for child in self._children.get(scope, []):
                visit(child)

        self._children: dict[Scope, list[Scope]] = {}
        for step in self.pipeline.all_steps():
            for scope in (self.leaf[step][0], self.loop_scope.get(step), self.condition_of.get(step)):
                if scope is None:
                    continue
                for node in scope.chain():
                    if node.parent is not None and node not in self._children.setdefault(node.parent, []):
                        self._children[node.parent].append(node)
        visit(self.root)
        return found

    def assemble(self, root_outputs: dict) -> tuple[dict, dict | None]:
        scopes = self.scopes()
        for scope in scopes:
            for task in scope.tasks.values():
                deps = task.pop("_deps", None)
                if deps:
                    task["dependentTasks"] = sorted(deps)
        components = dict(self.components)
        for scope in scopes:
            if scope is self.root:
                continue
            components[f"comp-{scope.name}"] = self.dag_component(scope)
        root: dict = {"dag": {"tasks": self.root.tasks}}
        if root_outputs["outputs"]:
            root["dag"]["outputs"] = root_outputs["outputs"]
            root["outputDefinitions"] = root_outputs["definitions"]
        params = {}
        artifacts = {}
        for name, param in self.pipeline.params.items():
            if param.type.is_artifact and self.nested:
                artifacts[name] = _artifact_spec(param.type)
                continue
            spec = {"parameterType": _param_type(param.type)}
            if param.has_default:
                spec["defaultValue"] = _constant(param.default, param.type)
                spec["isOptional"] = True
            if param.description:
                spec["description"] = param.description
            params[name] = spec
        inputs = {k: v for k, v in (("parameters", params), ("artifacts", artifacts)) if v}
        if inputs:
            root["inputDefinitions"] = inputs
        info = {"name": self.pipeline.name}
        if self.pipeline.display_name != self.pipeline.name:
            info["displayName"] = self.pipeline.display_name
        if self.pipeline.description:
            info["description"] = self.pipeline.description
        spec = {
            "components": components,
            "deploymentSpec": {"executors": self.executors},
            "pipelineInfo": info,
            "root": root,
            "schemaVersion": SCHEMA_VERSION,
            "sdkVersion": SDK_VERSION,
        }
        platform = None
        if self.platform_executors:
            platform = {"platforms": {"kubernetes": {"deploymentSpec": {"executors": self.platform_executors}}}}
        return spec, platform

    def dag_component(self, scope: Scope) -> dict:
        comp: dict = {"dag": {"tasks": scope.tasks}}
        if scope.outputs:
            outputs: dict = {}
            definitions: dict = {}
            for name, (t, selector) in sorted(scope.outputs.items()):
                kind = "artifacts" if t.is_artifact else "parameters"
                outputs.setdefault(kind, {})[name] = selector
                definitions.setdefault(kind, {})[name] = _artifact_spec(t) if t.is_artifact else {"parameterType": _param_type(t)}
            comp["dag"]["outputs"] = outputs
            comp["outputDefinitions"] = definitions
        if scope.inputs:
            defs: dict = {}
            for name, t in sorted(scope.inputs.items()):
                if t.is_artifact:
                    defs.setdefault("artifacts", {})[name] = _artifact_spec(t)
                else:
                    defs.setdefault("parameters", {})[name] = {"parameterType": _param_type(t)}
            comp["inputDefinitions"] = defs
        return comp


def _wait(task: dict, dep: str | None):
    """Record that `task` waits for the sibling task `dep` (its dependentTasks, set at the end)."""
    if dep:
        task.setdefault("_deps", set()).add(dep)


def _toleration(t: dict) -> dict:
    out = {"operator": t["operator"]}
    for ours, theirs in (("key", "key"), ("value", "value"), ("effect", "effect")):
        if t.get(ours) is not None:
            out[theirs] = t[ours]
    if t.get("seconds") is not None:
        out["tolerationSeconds"] = str(t["seconds"])
    return out


def _io_definitions(ports: dict[str, Port], status_inputs: set[str], inputs: bool = True) -> dict:
    out: dict = {}
    for name, port in ports.items():
        if port.type.is_artifact:
            out.setdefault("artifacts", {})[name] = _artifact_spec(port.type)
            if port.has_default and inputs:  # `Input[Dataset] = None`: the step runs without it
                out["artifacts"][name]["isOptional"] = True
            if port.description:
                out["artifacts"][name]["description"] = port.description
            continue
        if name in status_inputs:
            out.setdefault("parameters", {})[name] = {"parameterType": FINAL_STATUS, "isOptional": True}
            continue
        spec = {"parameterType": _param_type(port.type)}
        if port.has_default:
            if port.default is not None:  # `x: str = None`: optional, with no value
                spec["defaultValue"] = _constant(port.default, port.type)
            spec["isOptional"] = True
        if port.description:
            spec["description"] = port.description
        out.setdefault("parameters", {})[name] = spec
    return out


def _placeholder_text(value, component: Component) -> str:
    if isinstance(value, Literal):
        return value.value if isinstance(value.value, str) else json.dumps(value.value)
    text = []
    for part in value.parts:
        if isinstance(part, str):
            text.append(part)
            continue
        kind, name = part.root, part.parts[0]
        port = (component.inputs if kind == "inputs" else component.outputs)[name]
        io = "inputs" if kind == "inputs" else "outputs"
        if port.type.is_artifact:
            attr = part.parts[1] if len(part.parts) == 2 else "path"
            text.append("{{$.%s.artifacts['%s'].%s}}" % (io, name, attr))
        elif kind == "inputs":
            text.append("{{$.inputs.parameters['%s']}}" % name)
        else:
            text.append("{{$.outputs.parameters['%s'].output_file}}" % name)
    return "".join(text)


# The task input KFP adds for a resource or image read from a param.
_RUNTIME_INPUT = {"cpu": "cpu_limit", "memory": "memory_limit", "cpu_request": "cpu_request",
                  "memory_request": "memory_request", "gpu": "accelerator_count", "gpu_type": "accelerator_type",
                  "image": "base_image"}

_RESOURCE_FIELDS = (  # (our key, KFP's number field, KFP's string field, to number)
    ("cpu", "cpuLimit", "resourceCpuLimit", _number),
    ("cpu_request", "cpuRequest", "resourceCpuRequest", _number),
    ("memory", "memoryLimit", "resourceMemoryLimit", memory_gb),
    ("memory_request", "memoryRequest", "resourceMemoryRequest", memory_gb),
)


def _resources(step: Step, runtime: dict[str, str]) -> dict:
    """KFP writes each amount twice: as a number (cores, 10^9 bytes) and as written; an amount
    read from a param only as its placeholder, resolved when the task runs."""
    r = step.resources
    out: dict = {}
    for key, number_field, text_field, to_number in _RESOURCE_FIELDS:
        if key in runtime:
            out[text_field] = runtime[key]
        elif getattr(r, key):
            out[number_field] = to_number(getattr(r, key))
            out[text_field] = getattr(r, key)
    if r.gpu:
        gpu_type = runtime.get("gpu_type") or r.gpu_type or "nvidia.com/gpu"
        count = runtime.get("gpu")
        out["accelerator"] = ({"resourceCount": count} if count else {"count": str(r.gpu), "resourceCount": str(r.gpu)})
        out["accelerator"]["resourceType"] = gpu_type
        if "gpu_type" not in runtime:  # the deprecated field takes literals only
            out["accelerator"]["type"] = gpu_type
    return out


def _constant(value: Any, t: Type) -> Any:
    if t.name == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _const_expr(expr) -> Any:
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, ListLit):
        return [_const_expr(i) for i in expr.items]
    raise ValueError("not a constant")


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def lower(pipeline: Pipeline, refs: References, deps: dict[Step, set[Step]], nested: bool = False
          ) -> tuple[dict, dict | None]:
    return _Lowering(pipeline, refs, deps, nested).run()
