"""A run's params, checked and typed against the pipeline's root inputs.

`kfyaml run` and `kfyaml submit` take `--param NAME=VALUE` text; both bind
it here, so a param is refused with the same message whichever command is
used, before anything runs or is sent.
"""

from __future__ import annotations

import json
from typing import Any

from kfyaml.ir import types as ir

from .records import RunError

_KIND = {ir.INTEGER: "an int", ir.DOUBLE: "a number", ir.BOOLEAN: "true or false", ir.LIST: "a JSON list",
         ir.STRUCT: "a JSON object"}


def definitions(spec: dict) -> dict:
    return spec["root"].get("inputDefinitions", {}).get("parameters", {})


def bind(spec: dict, given: dict[str, Any], defaults: bool = True) -> dict[str, Any]:
    """The given params, typed; with `defaults`, every param the run needs (missing ones from their defaults)."""
    defs = definitions(spec)
    unknown = sorted(set(given) - set(defs))
    if unknown:
        raise RunError(f"the pipeline has no param {', '.join(unknown)}; its params are: {', '.join(defs) or 'none'}")
    values = {name: coerce(name, given[name], defs[name]["parameterType"]) for name in given}
    if not defaults:
        return values
    for name, spec_ in defs.items():
        if name in values:
            continue
        if "defaultValue" in spec_:
            values[name] = spec_["defaultValue"]
        elif not spec_.get("isOptional"):
            raise RunError(f'param "{name}" has no default: pass --param {name}=...')
    return {name: values[name] for name in defs if name in values}


def coerce(name: str, raw: Any, parameter_type: str) -> Any:
    """A --param value, typed as the pipeline declares it."""
    if not isinstance(raw, str):
        return raw
    try:
        if parameter_type == ir.STRING:
            return raw
        if parameter_type == ir.INTEGER:
            return int(raw)
        if parameter_type == ir.DOUBLE:
            return float(raw)
        if parameter_type == ir.BOOLEAN:
            if raw.lower() not in ("true", "false"):
                raise ValueError
            return raw.lower() == "true"
        value = json.loads(raw)
        if parameter_type == ir.LIST and not isinstance(value, list) or \
                parameter_type == ir.STRUCT and not isinstance(value, dict):
            raise ValueError
        return value
    except ValueError:
        raise RunError(f"--param {name}={raw}: {name} must be {_KIND.get(parameter_type, parameter_type)}") from None


def typed(value: Any, parameter_type: str) -> Any:
    """Values as the step declares them: JSON numbers lose int-ness on the way."""
    if parameter_type == ir.INTEGER and isinstance(value, float) and value.is_integer():
        return int(value)
    if parameter_type == ir.DOUBLE and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value
