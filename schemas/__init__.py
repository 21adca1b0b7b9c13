"""The JSON Schema of pipeline.yaml, shared by the compiler and editors."""

from __future__ import annotations

import functools
import json
from importlib import resources


@functools.lru_cache(maxsize=1)
def pipeline_schema() -> dict:
    return json.loads(resources.files(__name__).joinpath("pipeline.schema.json").read_text("utf-8"))


def pipeline_schema_text() -> str:
    return resources.files(__name__).joinpath("pipeline.schema.json").read_text("utf-8")
