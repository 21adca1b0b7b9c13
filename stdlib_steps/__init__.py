"""The standard library of steps that `uses: stdlib/<name>` refers to.

Each step is a typed KFP lightweight Python function in `<name>.py`. The
package ships those functions and `catalog.json`, generated from them by
`tools/build_stdlib.py` without importing them; the compiler reads only the
catalog (`compiler/catalog.py`), so resolving a step costs a JSON read and
never an import of torch, scikit-learn or kfp. Nothing here imports the
compiler.
"""

from __future__ import annotations

import functools
import json
from importlib import resources


@functools.lru_cache(maxsize=1)
def catalog() -> dict:
    """Each step's interface, default settings and executor, by name: plain JSON data."""
    return json.loads(resources.files(__name__).joinpath("catalog.json").read_text("utf-8"))["steps"]
