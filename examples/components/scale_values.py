"""Source of scale_values.v2.yaml, a component compiled by KFP's own compiler.

Regenerate with `python examples/components/scale_values.py`; a test checks
that the committed file is exactly what kfp writes.
"""

import sys
from pathlib import Path

from kfp import compiler, dsl


@dsl.component(base_image="python:3.11")
def scale_values(values: list, factor: float = 1.0) -> list:
    """Multiply every value by a factor."""
    return [v * factor for v in values]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("scale_values.v2.yaml")
    compiler.Compiler().compile(scale_values, str(target))
