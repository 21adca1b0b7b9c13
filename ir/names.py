"""Names of the DAGs a compiler adds around steps, as KFP's own compiler names them.

Loops, conditions, condition branches and exit handlers become DAG tasks
named `for-loop-N`, `condition-N`, `condition-branches-N` and
`exit-handler-N`. The compiler names its wrappers with `wrapper`; the runner
recognises them with `is_wrapper`, to show a run as the user wrote it.
"""

from __future__ import annotations

import re

KINDS = {"loop": "for-loop", "condition": "condition", "branches": "condition-branches", "exit": "exit-handler"}
_WRAPPER = re.compile("^(" + "|".join(map(re.escape, KINDS.values())) + ")-[0-9]+$")


def wrapper(kind: str, number: int) -> str:
    return f"{KINDS[kind]}-{number}"


def is_wrapper(task: str) -> bool:
    return bool(_WRAPPER.match(task))
