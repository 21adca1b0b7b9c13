"""A multi-node `stdlib/train_torch_ddp` task back to what its author wrote.

`kfyaml compile` gave the task two inputs of its own (`trainjob`, the
rendered TrainJob, and `workspace_path`) and moved the step's `resources:`
onto the TrainJob's nodes, leaving its own pod a little CPU
(compiler/resolve/trainjob.py). Importing undoes that: the two inputs are
dropped, and `resources:` is read back from the nodes'.
"""

from __future__ import annotations

from ..resolve.trainjob import SET_BY_COMPILE, STEP


def set_by_compile(body: dict, task: dict) -> set[str]:
    """The task inputs compile made up, to be left out of `with:`."""
    if body.get("uses") != STEP:
        return set()
    return {name for name in SET_BY_COMPILE if name in (task.get("inputs", {}).get("parameters") or {})}


def node_resources(body: dict, task: dict) -> dict | None:
    """The step's `resources:` as the TrainJob's nodes have them; None when the task renders no TrainJob."""
    binding = (task.get("inputs", {}).get("parameters") or {}).get("trainjob", {})
    manifest = binding.get("runtimeValue", {}).get("constant")
    if body.get("uses") != STEP or not isinstance(manifest, dict):
        return None
    per_node = manifest.get("spec", {}).get("trainer", {}).get("resourcesPerNode", {})
    out: dict = {}
    for key, value in (per_node.get("limits") or {}).items():
        if key in ("cpu", "memory"):
            out[key] = value
        else:
            out["gpu"] = value
            if key != "nvidia.com/gpu":
                out["gpu_type"] = key
    for key, value in (per_node.get("requests") or {}).items():
        out[f"{key}_request"] = value
    return out
