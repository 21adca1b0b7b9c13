"""A name-independent view of KFP IR, for comparing our IR with kfp.compiler's.

Generated names differ between the two compilers (`condition-3` against
`condition-1`, `pipelinechannel--loop-item-param-1` against an `as:` name), so
each leaf task is described by what it means: the loops and conditions around
it, where each of its inputs really comes from (traced through every
`pipelinechannel--` hop), what it waits for, its interface and container.
"""

from __future__ import annotations

import json
import re

_CHANNEL = re.compile(r"inputs\.parameter_values\['([^']+)'\]")
_PLACEHOLDER = re.compile(r"\{\{\$\.inputs\.parameters\['([^']+)'\]\}\}")


def _num(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, dict):
            return {k: _num(v) for k, v in value.items()}
        if isinstance(value, list):
            return [_num(v) for v in value]
        return value
    return float(value)


class Normalizer:
    def __init__(self, spec: dict, platform: dict | None = None):
        self.spec = spec
        self.platform = ((platform or {}).get("platforms", {}).get("kubernetes", {})
                         .get("deploymentSpec", {}).get("executors", {}))
        self.components = spec["components"]
        self.executors = spec["deploymentSpec"]["executors"]
        self.leaves: dict[str, dict] = {}

    # A frame is one DAG on the path from the root: (dag dict, the task in the parent, parent frame)
    def run(self) -> dict:
        self._walk(self.spec["root"], None, None, ())
        return self.leaves

    def _dag_of(self, task):
        return self.components[task["componentRef"]["name"]]

    def _walk(self, comp, parent_task, parent_frame, path):
        frame = (comp, parent_task, parent_frame)
        tasks = comp["dag"]["tasks"]
        for name, task in tasks.items():
            child = self._dag_of(task)
            if "dag" in child:
                kind = self._group_kind(name, task)
                self._walk(child, task, frame, path + ((kind, self._group_detail(task, frame)),) if kind else path)
            else:
                self._leaf(name, task, child, frame, path)

    @staticmethod
    def _group_kind(name, task):
        if _iterator(task):
            return "loop"
        if "triggerPolicy" in task and "condition" in task["triggerPolicy"]:
            return "condition"
        if name.startswith("exit-handler"):
            return "exit"
        return None  # a plain group: KFP has none; its tasks count as the parent's

    def _group_detail(self, task, frame):
        if _iterator(task):
            it = _iterator(task)["items"]
            items = ("raw", json.loads(it["raw"])) if "raw" in it else self._source(task, _items_input(it), frame, in_task=True)
            return (repr(items), task.get("iteratorPolicy", {}).get("parallelismLimit"))
        if "triggerPolicy" in task and "condition" in task["triggerPolicy"]:
            cond = task["triggerPolicy"]["condition"]
            return _CHANNEL.sub(lambda m: repr(self._source(task, m.group(1), frame, in_task=True)), cond)
        return None

    def _source(self, task, input_name, frame, in_task):
        """Where the task's (or, in_task=False, the DAG's) input really comes from."""
        comp, parent_task, parent_frame = frame
        if in_task:
            binding = task.get("inputs", {}).get("parameters", {}).get(input_name) or \
                task.get("inputs", {}).get("artifacts", {}).get(input_name)
            if binding is None:
                return ("unbound", input_name)
            return self._binding(binding, frame)
        # An input of the DAG `comp`: the loop item, or bound by its task in the parent.
        if parent_task is None:
            return ("param", input_name)
        iterator = _iterator(parent_task)
        if iterator and iterator["itemInput"] == input_name:
            it = iterator["items"]
            items = ("raw", json.loads(it["raw"])) if "raw" in it else self._source(parent_task, _items_input(it), parent_frame, True)
            return ("item", items)
        return self._source(parent_task, input_name, parent_frame, in_task=True)

    def _binding(self, binding, frame):
        comp = frame[0]
        if "parameterExpressionSelector" in binding:
            inner = {k: v for k, v in binding.items() if k != "parameterExpressionSelector"}
            return ("select", self._binding(inner, frame), binding["parameterExpressionSelector"])
        if "runtimeValue" in binding:
            value = binding["runtimeValue"]["constant"]
            return ("const", _num(value))
        if "componentInputParameter" in binding or "componentInputArtifact" in binding:
            name = binding.get("componentInputParameter") or binding.get("componentInputArtifact")
            return self._source(None, name, frame, in_task=False)
        if "taskFinalStatus" in binding:
            return ("status",)
        for key, field in (("taskOutputParameter", "outputParameterKey"), ("taskOutputArtifact", "outputArtifactKey")):
            if key in binding:
                return self._output(comp["dag"]["tasks"][binding[key]["producerTask"]], binding[key][field], frame)
        raise AssertionError(binding)

    def _output(self, producer_task, key, frame):
        child = self._dag_of(producer_task)
        if "dag" not in child:
            return ("output", producer_task["taskInfo"]["name"], key)
        outputs = child["dag"].get("outputs", {})
        selector = outputs.get("parameters", {}).get(key) or outputs.get("artifacts", {}).get(key)
        inner_frame = (child, producer_task, frame)
        choices = (selector.get("valueFromOneof", {}).get("parameterSelectors")
                   or (selector.get("artifactSelectors") if len(selector.get("artifactSelectors", [])) > 1 else None))
        if choices:  # OneOf: whichever branch ran
            return ("oneof", [self._output(child["dag"]["tasks"][c["producerSubtask"]],
                                           c.get("outputParameterKey") or c.get("outputArtifactKey"), inner_frame)
                              for c in choices])
        if "valueFromParameter" in selector:
            inner_task, inner_key = selector["valueFromParameter"]["producerSubtask"], selector["valueFromParameter"]["outputParameterKey"]
        else:
            sel = selector["artifactSelectors"][0]
            inner_task, inner_key = sel["producerSubtask"], sel["outputArtifactKey"]
        inner = self._output(child["dag"]["tasks"][inner_task], inner_key, (child, producer_task, frame))
        return ("collected", inner) if _iterator(producer_task) else inner

    def _leaf(self, name, task, comp, frame, path):
        executor = self.executors[comp["executorLabel"]]  # a container or an importer
        inputs = {}
        for kind in ("parameters", "artifacts"):
            for input_name, binding in task.get("inputs", {}).get(kind, {}).items():
                if input_name.startswith("pipelinechannel--"):
                    continue  # only feeds the placeholders of a constant, resolved below
                source = self._binding(binding, frame)
                if source[0] == "const":  # placeholders in its text, or anywhere in a list or dict
                    source = ("const", self._filled(source[1], task, frame))
                inputs[input_name] = source
        self.leaves[task["taskInfo"]["name"]] = {
            "path": path,
            "inputs": inputs,
            "waits_for": self._waits_for(task, frame),
            "interface": {k: _num(v) for k, v in comp.items() if k != "executorLabel"},
            "container": self._traced(_num(executor), task, frame),
            "caching": task.get("cachingOptions"),
            "retry": task.get("retryPolicy"),
            "trigger": task.get("triggerPolicy", {}).get("strategy"),
            "kubernetes": self._platform(self.platform.get(comp["executorLabel"], {}), frame),
        }

    def _filled(self, value, task, frame):
        """A constant with each placeholder replaced by its traced source, at any depth."""
        if isinstance(value, str):
            return _PLACEHOLDER.sub(lambda m: repr(self._source(task, m.group(1), frame, in_task=True)), value)
        if isinstance(value, list):
            return [self._filled(v, task, frame) for v in value]
        if isinstance(value, dict):
            return {k: self._filled(v, task, frame) for k, v in value.items()}
        return value

    def _traced(self, node, task, frame):
        """The executor with each `{{$.inputs.parameters['pipelinechannel--...']}}` replaced by its source:
        channel names are the compilers' own, the values they carry are what must agree."""
        if isinstance(node, dict):
            return {k: self._traced(v, task, frame) for k, v in node.items()}
        if isinstance(node, list):
            return [self._traced(v, task, frame) for v in node]
        if isinstance(node, str) and "pipelinechannel--" in node:
            return _PLACEHOLDER.sub(lambda m: repr(self._source(task, m.group(1), frame, in_task=True))
                                    if m.group(1).startswith("pipelinechannel--") else m.group(0), node)
        return node

    def _platform(self, config, frame):
        """Platform settings with each `componentInputParameter` traced to its source."""
        if isinstance(config, dict):
            if set(config) == {"componentInputParameter"}:
                return self._source(None, config["componentInputParameter"], frame, in_task=False)
            if set(config) == {"taskOutputParameter"}:  # a name from a step output: traced to the step's name
                out = config["taskOutputParameter"]
                return self._output(frame[0]["dag"]["tasks"][out["producerTask"]], out["outputParameterKey"], frame)
            return {k: (self._source(None, v, frame, in_task=False) if k == "componentInputParameter"
                        else self._platform(v, frame)) for k, v in config.items()}
        if isinstance(config, list):
            return [self._platform(v, frame) for v in config]
        return config

    def _waits_for(self, task, frame):
        """The leaf tasks this one waits for, through its own and its groups' dependencies."""
        names = set()
        current_task, current = task, frame
        while current is not None:
            comp, parent_task, parent_frame = current
            for dep in current_task.get("dependentTasks", []):
                names |= self._leaves_in(comp["dag"]["tasks"][dep])
            current_task, current = parent_task, parent_frame
            if current_task is None:
                break
        return sorted(names)

    def _leaves_in(self, task):
        child = self._dag_of(task)
        if "dag" not in child:
            return {task["taskInfo"]["name"]}
        out = set()
        for sub in child["dag"]["tasks"].values():
            out |= self._leaves_in(sub)
        return out


def normalize(spec: dict, platform: dict | None = None) -> dict:
    return Normalizer(spec, platform).run()


def root_outputs(spec: dict) -> dict:
    """Pipeline outputs, traced to the leaf output that feeds each."""
    n = Normalizer(spec)
    frame = (spec["root"], None, None)
    out = {}
    outputs = spec["root"]["dag"].get("outputs", {})
    for kind, field in (("parameters", "valueFromParameter"), ("artifacts", "artifactSelectors")):
        for name, selector in outputs.get(kind, {}).items():
            sel = selector[field] if kind == "parameters" else selector[field][0]
            key = sel.get("outputParameterKey") or sel.get("outputArtifactKey")
            out[name] = n._output(spec["root"]["dag"]["tasks"][sel["producerSubtask"]], key, frame)
    return out


def _iterator(task: dict) -> dict | None:
    """A loop task's iterator: over parameters, or (KFP's artifactIterator) over artifacts."""
    return task.get("parameterIterator") or task.get("artifactIterator")


def _items_input(items: dict) -> str:
    return items.get("inputParameter") or items.get("inputArtifact")
