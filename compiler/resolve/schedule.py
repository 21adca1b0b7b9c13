"""`schedule:` checked as KFP's scheduler would take it: the cron by the grammar of the parser KFP
runs (robfig/cron v1.2.0, see robfig_cron.py), the time zone by the tz database, times by ISO
8601, params against the pipeline's.

KFP's scheduled-workflow controller reads cron with seconds first; people write five fields, so
kfyaml writes `0 <five fields>` for KFP.
"""

from __future__ import annotations

import datetime
import math

from ..codes import BAD_SCHEDULE
from ..load import Path
from ..model import Param, Schedule
from ..quantities import duration_seconds
from ..values import a, show, value_ok
from .context import Context
from .robfig_cron import CronError, kfp_cron

_DESCRIPTORS = {"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"}


def schedule(ctx: Context, spec: dict, name: str, params: dict[str, Param]) -> Schedule | None:
    path: Path = ("schedule",)
    cron, interval = spec.get("cron"), spec.get("interval")
    if (cron is None) == (interval is None):
        ctx.error(path, BAD_SCHEDULE, "a schedule has exactly one of `cron:` (`0 2 * * *`) and `interval:` (`6h`)",
                  key=True)
        return None
    kfp_cron = None
    if cron is not None:
        kfp_cron = _cron(ctx, str(cron).strip(), path + ("cron",))
        if kfp_cron is None:
            return None
    seconds = None
    if interval is not None:
        value = duration_seconds(interval)
        if value is None or not math.isfinite(value) or value < 1:
            ctx.error(path + ("interval",), BAD_SCHEDULE, f"{show(interval)} is not an interval: seconds or `30m`, `6h`, `1d`")
            return None
        seconds = int(value)
    zone = spec.get("timezone")
    if zone is not None:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            ctx.error(path + ("timezone",), BAD_SCHEDULE, f'"{zone}" is not a time zone; write an IANA name such as '
                                                          "`Europe/Paris` or `UTC`")
            return None
    times = {}
    for key in ("start", "end"):
        if spec.get(key) is not None:
            try:
                when = datetime.datetime.fromisoformat(str(spec[key]).replace("Z", "+00:00"))
            except ValueError:
                when = None
            if when is None or when.tzinfo is None:
                ctx.error(path + (key,), BAD_SCHEDULE, f"{show(spec[key])} is not an ISO 8601 time with its offset, "
                                                       "such as `2026-12-01T00:00:00Z`")
                return None
            times[key] = when
    if "start" in times and "end" in times and times["end"] <= times["start"]:
        ctx.error(path + ("end",), BAD_SCHEDULE, "the schedule ends before it starts")
        return None
    given = spec.get("params") or {}
    for param, value in given.items():
        if param not in params:
            ctx.error(path + ("params", param), BAD_SCHEDULE, f'the pipeline has no param "{param}"', key=True)
            return None
        if not value_ok(value, params[param].type):
            ctx.error(path + ("params", param), BAD_SCHEDULE, f'param "{param}" is {a(params[param].type)}, not {show(value)}')
            return None
    missing = [p for p, spec_ in params.items() if not spec_.has_default and p not in given]
    if missing:
        ctx.error(path, BAD_SCHEDULE, f'the scheduled runs need the required param "{missing[0]}": set it under '
                                      "`schedule: params:`", key=True)
        return None
    return Schedule(str(spec.get("name") or name), kfp_cron, seconds, zone, int(spec.get("max_concurrency", 1)),
                    bool(spec.get("catchup", True)), _iso(times.get("start")), _iso(times.get("end")), dict(given))


def _cron(ctx: Context, cron: str, path: Path) -> str | None:
    if cron in _DESCRIPTORS:
        return cron
    try:
        return kfp_cron(cron)
    except CronError as exc:
        ctx.error(path, BAD_SCHEDULE, f"`{cron}`: {exc}")
        return None


def _iso(when: datetime.datetime | None) -> str | None:
    return when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None
