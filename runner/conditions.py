"""`triggerPolicy.condition`: CEL evaluated as KFP's backend does, by cel-python.

KFP hands a condition its task's inputs as protobuf Values, so every number
is a double; the values are converted the same way here. Each distinct
condition is compiled once per run.
"""

from __future__ import annotations

import threading
from typing import Any


class Conditions:
    def __init__(self):
        self._programs: dict[str, Any] = {}
        self._lock = threading.Lock()

    def holds(self, condition: str, parameters: dict) -> bool:
        import celpy

        with self._lock:
            program = self._programs.get(condition)
            if program is None:
                env = celpy.Environment()
                program = self._programs[condition] = env.program(env.compile(condition))
        activation = {"inputs": celpy.json_to_cel({"parameter_values": _as_protobuf_values(parameters)})}
        return bool(program.evaluate(activation))


def _as_protobuf_values(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [_as_protobuf_values(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_protobuf_values(v) for k, v in value.items()}
    return value
