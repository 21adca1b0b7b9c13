"""Cron as KFP's scheduler reads it (issue 19, point 5): a port of robfig/cron v1.2.0's parser,
checked against the tables of robfig's own parser_test.go at v1.2.0, and the translations and
refusals kfyaml adds (Sunday as 7; `L`, `W`, `#`)."""

from __future__ import annotations

import pytest

from kfyaml.compiler.resolve.robfig_cron import Bounds, CronError, kfp_cron, values


# TestRange in robfig/cron v1.2.0 parser_test.go: (expr, min, max, expected bits or error text)
@pytest.mark.parametrize("expr, low, high, expected", [
    ("5", 0, 7, {5}), ("0", 0, 7, {0}), ("7", 0, 7, {7}),
    ("5-5", 0, 7, {5}), ("5-6", 0, 7, {5, 6}), ("5-7", 0, 7, {5, 6, 7}),
    ("5-6/2", 0, 7, {5}), ("5-7/2", 0, 7, {5, 7}), ("5-7/1", 0, 7, {5, 6, 7}),
    ("*", 1, 3, {1, 2, 3}), ("*/2", 1, 3, {1, 3}),
    ("5--5", 0, 0, "too many hyphens"), ("jan-x", 0, 0, "is not a number"), ("2-x", 1, 5, "is not a number"),
    ("*/-12", 0, 0, "is negative"), ("*//2", 0, 0, "too many slashes"), ("1", 3, 5, "below the"),
    ("6", 3, 5, "above the"), ("5-3", 3, 5, "starts after it ends"), ("*/0", 0, 0, "must be a positive number"),
    # TestField
    ("5,6", 1, 7, {5, 6}), ("5,6,7", 1, 7, {5, 6, 7}), ("1,5-7/2,3", 1, 7, {1, 5, 7, 3}),
])
def test_ranges_and_fields_as_robfig_reads_them(expr, low, high, expected):
    bounds = Bounds("field", low, high)
    if isinstance(expected, set):
        assert values(expr, bounds) == expected
    else:
        with pytest.raises(CronError, match=expected):
            values(expr, bounds)


@pytest.mark.parametrize("cron, kfp", [
    ("0 2 * * *", "0 0 2 * * *"),
    ("*/15 * * * 1-5", "0 */15 * * * 1-5"),
    ("0 0 * jul-aug sun", "0 0 0 * jul-aug sun"),   # names, as robfig's months and days
    ("0 0 ? * ?", "0 0 0 ? * ?"),
    ("0 2 * * 7", "0 0 2 * * 0"),                    # crontab's other Sunday, translated
    ("0 2 * * 5-7", "0 0 2 * * 0,5,6"),
    ("0 2 * * 0-7/2", "0 0 2 * * 0,2,4,6"),
])
def test_crons_kfp_runs(cron, kfp):
    assert kfp_cron(cron) == kfp


@pytest.mark.parametrize("cron, error", [
    ("0 0 * * 5#3", "`#` (the nth weekday of the month) is not in the grammar KFP's scheduler reads"),
    ("0 0 L * *", "`L` (the last day) is not in the grammar"),
    ("0 0 * * 5L", "`L` (the last day) is not in the grammar"),
    ("0 0 15W * *", "`W` (the nearest weekday) is not in the grammar"),
    ("0 0 * * 8", "the day-of-week field: `8` ends above the day-of-week's maximum, 6"),
    ("0 2 * * *,7", "the day-of-week field `*,7` reaches 7: write it with 0-6 (Sunday is 0)"),
    ("* 5 j * *", "the day-of-month field: `j` is not a number or a name"),  # robfig: "Failed to parse int from"
    ("* * * *", "it has 4 fields; write five"),
    ("0 24 * * *", "the hour field: `24` ends above the hour's maximum, 23"),
    ("0 0 0 * *", "the day-of-month field: `0` starts below the day-of-month's minimum, 1"),
])
def test_crons_kfp_would_never_run_are_refused(cron, error):
    with pytest.raises(CronError, match=error.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        kfp_cron(cron)
