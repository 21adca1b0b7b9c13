"""`debug_pause:` as KFP's `PipelineTask.set_debug_pause` writes it: environment variables Argo reads.

KFP 2.17 has no IR field for a pause: `set_debug_pause` sets
ARGO_DEBUG_PAUSE_BEFORE, ARGO_DEBUG_PAUSE_AFTER or ARGO_DEBUG_PAUSE_ON_ERROR on
the step's container, and Argo Workflows' executor (3.5 or later) keeps the pod
alive at that point for `kubectl exec`. The forms mean what KFP's arguments
mean (`after` defaults to true), and KFP's two refusals are located errors
here. `kfyaml run` reads the same variables (runner/reenter.py).
"""

from __future__ import annotations

from kfyaml.ir.debug_pause import AFTER, BEFORE, ON_ERROR

from ..codes import DEBUG_PAUSE
from ..load import Path
from .context import Context

_WORDS = {True: {}, "after": {}, "before": {"before": True, "after": False}, "on_error": {"on_error": True}}


def env(ctx: Context, raw, path: Path) -> dict[str, str]:
    """The variables for a `debug_pause:` value (the schema has checked its shape); {} for `false`."""
    if raw is False:
        return {}
    given = _WORDS[raw] if not isinstance(raw, dict) else raw
    before, after, on_error = given.get("before", False), given.get("after", True), given.get("on_error", False)
    if on_error and not after:
        ctx.error(path, DEBUG_PAUSE, "`on_error: true` pauses after a failed run of the step, and `after: false` "
                                     "says not to pause after it: drop `after: false`")
        return {}
    if not before and not after:
        ctx.error(path, DEBUG_PAUSE, "with `before: false` and `after: false` there is nothing to pause on: set one "
                                     "of them, or write `debug_pause: false`")
        return {}
    out = {BEFORE: "true"} if before else {}
    if after:
        out[ON_ERROR if on_error else AFTER] = "true"
    return out
