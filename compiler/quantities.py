"""Amounts as Kubernetes and KFP take them: CPU, memory and durations.

Resolve validates what the user wrote with these rules, and lowering turns
the same text into KFP's numbers; keeping both here means an amount that
passes the check is one that lowers.
"""

from __future__ import annotations

import re
from typing import Any

CPU = re.compile(r"^([0-9]*[.])?[0-9]+m?$")
MEMORY = re.compile(r"^[0-9]+(E|Ei|P|Pi|T|Ti|G|Gi|M|Mi|K|Ki)?$")
_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(s|m|h|d)?$")
_DURATION_UNITS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_MEMORY_UNITS = {"E": 10**18, "Ei": 2**60, "P": 10**15, "Pi": 2**50, "T": 10**12, "Ti": 2**40, "G": 10**9,
                 "Gi": 2**30, "M": 10**6, "Mi": 2**20, "K": 10**3, "Ki": 2**10, "": 1}


def is_cpu(text: str) -> bool:
    return bool(CPU.match(text)) and cpu_cores(text) > 0


def is_memory(text: str) -> bool:
    return bool(MEMORY.match(text))


def cpu_cores(text: str) -> float:
    """`500m` -> 0.5, `2` -> 2.0: KFP's cpuLimit number."""
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def memory_gb(text: str) -> float:
    """KFP's memory number: the amount in units of 10^9 bytes."""
    match = MEMORY.match(text)
    unit = match.group(1) or ""
    number = text[: len(text) - len(unit)]
    return float(number) * _MEMORY_UNITS[unit] / 10**9


def duration_seconds(value: Any) -> float | None:
    """A duration as written (`90`, `30s`, `5m`, `2h`, `1d`) in seconds; None when it is not one."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        return None
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]
