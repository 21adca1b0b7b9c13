"""Cron as KFP's scheduler reads it: robfig/cron v1.2.0's `cron.Parse`, ported field for field.

KFP's scheduled-workflow controller and API server parse a recurring run's cron with
robfig/cron v1.2.0 (`go.mod`; `cron.Parse` in `cron_schedule.go`), whose grammar is narrower
than a crontab's: day-of-week is 0-6 (7 is refused), and there is no `L`, `W` or `#`. A cron
that other parsers take but robfig does not is accepted by KFP's API and then never runs (the
controller logs "Found invalid schedule"). So kfyaml checks the exact grammar here (a port of
`getField`/`getRange` in robfig's parser.go at v1.2.0) and translates the one thing that has a
faithful translation, Sunday written as 7, to 0.
"""

from __future__ import annotations

import dataclasses
import re

_MONTHS = {name: i for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_DAYS = {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}


@dataclasses.dataclass(frozen=True)
class Bounds:
    name: str
    low: int
    high: int
    names: dict[str, int] | None = None


# The five fields people write, in order; KFP's sixth (seconds, first) is always 0.
FIELDS = (Bounds("minute", 0, 59), Bounds("hour", 0, 23), Bounds("day-of-month", 1, 31),
          Bounds("month", 1, 12, _MONTHS), Bounds("day-of-week", 0, 6, _DAYS))


class CronError(ValueError):
    pass


def values(field: str, bounds: Bounds) -> set[int]:
    """The values a field stands for (robfig's getField): a comma-separated list of ranges."""
    out: set[int] = set()
    for expr in (part for part in field.split(",") if part):  # strings.FieldsFunc drops empty parts
        out |= _range(expr, bounds)
    return out


def _range(expr: str, bounds: Bounds) -> set[int]:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    if low_and_high[0] in ("*", "?"):
        start, end = bounds.low, bounds.high
    else:
        start = _int_or_name(low_and_high[0], bounds)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], bounds)
        else:
            raise CronError(f"too many hyphens in `{expr}`")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _int(range_and_step[1])
        if single:  # "N/step" means "N-max/step"
            end = bounds.high
    else:
        raise CronError(f"too many slashes in `{expr}`")
    if start < bounds.low:
        raise CronError(f"`{expr}` starts below the {bounds.name}'s minimum, {bounds.low}")
    if end > bounds.high:
        raise CronError(f"`{expr}` ends above the {bounds.name}'s maximum, {bounds.high}")
    if start > end:
        raise CronError(f"`{expr}` starts after it ends")
    if step == 0:
        raise CronError(f"the step in `{expr}` is 0; it must be a positive number")
    return set(range(start, end + 1, step))


def _int_or_name(text: str, bounds: Bounds) -> int:
    if bounds.names and text.lower() in bounds.names:
        return bounds.names[text.lower()]
    return _int(text)


def _int(text: str) -> int:
    body = text[1:] if text[:1] in "+-" else text
    if not body.isdigit():  # strconv.Atoi: an optional sign and ASCII digits
        raise CronError(f"`{text}` is not a number" + (" or a name" if text.isalpha() else ""))
    number = int(text)
    if number < 0:
        raise CronError(f"`{text}` is negative")
    return number


def kfp_cron(cron: str) -> str:
    """The six-field cron KFP's scheduler runs for five fields a person wrote; CronError when robfig
    v1.2.0 would refuse it. A day-of-week 7 (Sunday, as crontab allows) is written as 0."""
    fields = cron.split()
    if len(fields) != 5:
        raise CronError(f"it has {len(fields)} fields; write five: minute hour day-of-month month day-of-week "
                        "(`0 2 * * 1-5`). kfyaml adds KFP's seconds field")
    for field in fields[2:]:
        special = _special(field)
        if special:
            raise CronError(f"{special} is not in the grammar KFP's scheduler reads (robfig/cron v1.2.0): write the "
                            "days themselves, or schedule more often and let a step check the date")
    for field, bounds in zip(fields[:4], FIELDS[:4], strict=True):
        _checked(field, bounds)
    fields[4] = _day_of_week(fields[4])
    return "0 " + " ".join(fields)


def _special(field: str) -> str | None:
    """Quartz/crontab extensions robfig v1.2.0 does not have, named for the message."""
    if "#" in field:
        return "`#` (the nth weekday of the month)"
    for token in re.split(r"[,/-]", field):
        upper = token.upper()
        if upper in ("L", "LW") or re.fullmatch(r"\d+L", upper):
            return "`L` (the last day)"
        if upper == "W" or re.fullmatch(r"\d+W", upper):
            return "`W` (the nearest weekday)"
    return None


def _checked(field: str, bounds: Bounds) -> set[int]:
    try:
        return values(field, bounds)
    except CronError as exc:
        raise CronError(f"the {bounds.name} field: {exc}") from None


def _day_of_week(field: str) -> str:
    """Day-of-week with Sunday as 0 only: `7` (crontab's other Sunday) translated, faithfully."""
    sunday_seven = Bounds("day-of-week", 0, 7, _DAYS)
    try:
        values(field, FIELDS[4])
        return field
    except CronError as exc:
        refused = CronError(f"the day-of-week field: {exc}")
    try:
        days = values(field, sunday_seven)  # valid once 7 is allowed: it named Sunday as 7
    except CronError:
        raise refused from None
    if field.startswith(("*", "?")):  # a star keeps its meaning for day-of-month/day-of-week matching
        raise CronError(f"the day-of-week field `{field}` reaches 7: write it with 0-6 (Sunday is 0)")
    return ",".join(str(d) for d in sorted({0 if d == 7 else d for d in days}))
