"""`kfyaml cache`: how much the run cache and the step environments hold; `prune` what is unused."""

from __future__ import annotations

import sys
from pathlib import Path

from ..quantities import duration_seconds
from .check import UsageError
from .output import Style


def cmd_cache(args, style: Style) -> int:
    from kfyaml.runner import environments, maintenance

    from ..config import default_workdir

    places = [("results", Path(args.workdir or default_workdir(None)) / "cache", "entry.json"),
              ("environments", environments.cache_root(), environments.STAMP)]
    if args.action == "prune":
        if args.older_than is None:
            raise UsageError("cache prune needs --older-than (for example 7d, 12h)")
        seconds = duration_seconds(args.older_than)
        if seconds is None:
            raise UsageError(f"--older-than takes a duration such as 30m, 12h or 7d, not {args.older_than!r}")
        for what, root, stamp in places:
            removed = maintenance.prune(root, stamp, seconds)
            left = maintenance.usage(root, stamp)
            print(f"{what}: removed {removed.entries} unused for {args.older_than} ({maintenance.human(removed.size)}); "
                  f"{left.entries} left ({maintenance.human(left.size)}) in {root}", file=sys.stdout)
        return 0
    if args.older_than is not None:
        raise UsageError("--older-than goes with `kfyaml cache prune`")
    for what, root, stamp in places:
        used = maintenance.usage(root, stamp)
        print(f"{what}: {used.entries} ({maintenance.human(used.size)}) in {root}", file=sys.stdout)
    return 0
