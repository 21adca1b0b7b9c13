"""Where `uses:` references are looked up.

The compiler only sees the `Catalog` protocol: a name in, a typed
`Component` out. The standard library implements it from specs generated at
build time, so resolving `uses: stdlib/x` never imports kfp or the step's own
heavy packages (torch, scikit-learn) on the compile path.
"""

from __future__ import annotations

from typing import Protocol

from .model import Component


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
            from kfyaml.stdlib_steps import catalog_components

            self._loaded = catalog_components()
        return self._loaded

    def names(self) -> list[str]:
        return sorted(self._components)

    def get(self, name: str) -> Component | None:
        return self._components.get(name)
