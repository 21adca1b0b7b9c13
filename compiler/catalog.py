"""Where `uses:` references are looked up.

The compiler only sees the `Catalog` protocol: a name in, a typed
`Component` out. The standard library implements it from specs generated at
build time, so resolving `uses: stdlib/x` never imports kfp or the step's own
heavy packages (torch, scikit-learn) on the compile path.
"""

from __future__ import annotations

from typing import Protocol

from .model import Component, Port, Type


class Catalog(Protocol):
    prefix: str

    def names(self) -> list[str]: ...

    def get(self, name: str) -> Component | None: ...


class StdlibCatalog:
    """`uses: stdlib/<name>`: the steps shipped in kfyaml.stdlib_steps."""

    prefix = "stdlib/"

    def __init__(self, components: dict[str, Component] | None = None):
        self._loaded = components  # read on first use: most pipelines compile without it

    @property
    def _components(self) -> dict[str, Component]:
        if self._loaded is None:
            from kfyaml.stdlib_steps import catalog

            self._loaded = {name: stdlib_component(name, step) for name, step in catalog().items()}
        return self._loaded

    def names(self) -> list[str]:
        return sorted(self._components)

    def get(self, name: str) -> Component | None:
        return self._components.get(name)


def _port(name: str, spec: dict) -> Port:
    t = Type(spec["type"])
    if spec.get("list"):
        t = Type("list", t)
    return Port(name, t, (), spec.get("default"), bool(spec.get("optional")), spec.get("description"))


def stdlib_component(name: str, step: dict) -> Component:
    """A catalog entry (as tools/build_stdlib.py writes it) as a typed component."""
    return Component(name=name, inputs={n: _port(n, p) for n, p in step["inputs"].items()},
                     outputs={n: _port(n, p) for n, p in step["outputs"].items()}, image=step["image"],
                     executor=step["executor"], settings=step["settings"], source=f"stdlib/{name}")
