"""The standard library of steps that `uses: stdlib/<name>` refers to.

Each step is a typed KFP lightweight Python function in `<name>.py`. The
compiler reads only `catalog.json`, generated from those files by `build.py`
without importing them, so resolving a step costs a JSON read and never an
import of torch, scikit-learn or kfp.
"""

from __future__ import annotations

import functools
import json
from importlib import resources


@functools.lru_cache(maxsize=1)
def catalog() -> dict:
    return json.loads(resources.files(__name__).joinpath("catalog.json").read_text("utf-8"))["steps"]


def catalog_components() -> dict:
    from kfyaml.compiler.model import Component, Port, Type

    def port(name: str, spec: dict) -> Port:
        t = Type(spec["type"])
        if spec.get("list"):
            t = Type("list", t)
        return Port(name, t, (), spec.get("default"), bool(spec.get("optional")), spec.get("description"))

    return {name: Component(name=name, inputs={n: port(n, p) for n, p in step["inputs"].items()},
                            outputs={n: port(n, p) for n, p in step["outputs"].items()}, image=step["image"],
                            executor=step["executor"], settings=step["settings"], source=f"stdlib/{name}")
            for name, step in catalog().items()}
