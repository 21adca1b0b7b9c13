"""Requests and replies checked against KFP's published v2beta1 API description.

`kfp-server-api` is the client KFP generates from its v2beta1 OpenAPI
(swagger) description, one release per KFP release: each model class carries
the description's fields (`attribute_map`, JSON names) and their types
(`openapi_types`), each enum its allowed values. The stand-in server checks
every body it receives and every reply it sends against them, so the tests
cannot drift from the real API. The version is the installed kfp-server-api's
(`VERSION`), pinned with kfp in setup.cfg.
"""

from __future__ import annotations

import datetime
import re

import kfp_server_api

VERSION = kfp_server_api.__version__

# (method, path pattern) -> (request model, reply model); None: no body / no check.
ENDPOINTS = [
    ("POST", r"/experiments$", "V2beta1Experiment", "V2beta1Experiment"),
    ("GET", r"/experiments$", None, "V2beta1ListExperimentsResponse"),
    ("POST", r"/runs$", "V2beta1Run", "V2beta1Run"),
    ("GET", r"/runs$", None, "V2beta1ListRunsResponse"),
    ("GET", r"/runs/[^/:]+$", None, "V2beta1Run"),
    ("POST", r"/recurringruns$", "V2beta1RecurringRun", "V2beta1RecurringRun"),
    ("GET", r"/recurringruns$", None, "V2beta1ListRecurringRunsResponse"),
    ("GET", r"/pipelines$", None, "V2beta1ListPipelinesResponse"),
    ("GET", r"/pipelines/[^/]+/versions$", None, "V2beta1ListPipelineVersionsResponse"),
    ("POST", r"/pipelines/upload$", None, "V2beta1Pipeline"),
    ("POST", r"/pipelines/upload_version$", None, "V2beta1PipelineVersion"),
]


def models_for(method: str, path: str) -> tuple[str | None, str | None]:
    for m, pattern, request, reply in ENDPOINTS:
        if m == method and re.search(pattern, path):
            return request, reply
    return None, None


def check(type_name: str, value, where: str = "") -> list[str]:
    """What in `value` the description does not allow (JSON names, types, enum values)."""
    if value is None:
        return []
    if type_name == "str":  # also int64 fields, which JSON may carry as numbers
        return [] if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)) \
            else [f"{where}: {value!r} is not a string"]
    if type_name == "bool":
        return [] if isinstance(value, bool) else [f"{where}: {value!r} is not a boolean"]
    if type_name in ("int", "float"):
        return [] if isinstance(value, int | float) and not isinstance(value, bool) else [f"{where}: {value!r} is not a number"]
    if type_name == "object":
        return []
    if type_name == "datetime":
        try:
            datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            return []
        except ValueError:
            return [f"{where}: {value!r} is not a time"]
    if type_name.startswith("list["):
        if not isinstance(value, list):
            return [f"{where}: not a list"]
        inner = type_name[5:-1]
        return [p for i, item in enumerate(value) for p in check(inner, item, f"{where}[{i}]")]
    if type_name.startswith("dict("):
        inner = type_name[type_name.index(",") + 1:-1].strip()
        return [p for k, item in (value or {}).items() for p in check(inner, item, f"{where}.{k}")]
    model = getattr(kfp_server_api, type_name)
    if hasattr(model, "allowable_values"):
        return [] if value in model.allowable_values else [f"{where}: {value!r} is not one of {model.allowable_values}"]
    if not isinstance(value, dict):
        return [f"{where}: not an object ({type_name})"]
    names = {json_name: attr for attr, json_name in model.attribute_map.items()}
    out = []
    for key, item in value.items():
        if key not in names:
            out.append(f"{where}.{key}: not a field of {type_name}")
            continue
        out += check(model.openapi_types[names[key]], item, f"{where}.{key}")
    return out
