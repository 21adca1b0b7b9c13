"""The standard library of steps that `uses: stdlib/<name>` refers to.

Each step will be a typed KFP lightweight Python function; the compiler reads
only the component specs generated from them, never the functions' imports.
The library is filled in by the standard-library issue; until then the
catalog is empty and `uses: stdlib/x` reports KY301 with the names known.
"""

from __future__ import annotations


def catalog_components() -> dict:
    return {}
