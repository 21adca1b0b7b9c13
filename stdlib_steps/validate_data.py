"""Check a CSV file before anything trains on it.

Reads the file (a path, an http(s)/gs/s3 URL, or a `dataset` input) and checks
required columns, column types, the fraction of empty cells and the row count.
The verdict is the `is_valid` output, usable in `if:`; the findings are a
Markdown report the KFP UI shows. With `fail_on_error: true` an invalid file
fails the step instead.

Args:
    report: Markdown table of every check and its result.
    source: Path or URL of the CSV, when `data` is not given.
    data: The CSV as a dataset artifact.
    required_columns: Columns that must exist.
    dtypes: Expected kind per column: int, float, numeric, string or bool.
    max_null_fraction: Largest allowed fraction of empty cells in any column.
    min_rows: Fewest rows allowed.
    max_rows: Most rows allowed (0: no limit).
    fail_on_error: Fail the step when a check fails.

Returns:
    is_valid: Whether every check passed.
    rows: Rows in the file.
"""

from typing import NamedTuple

from kfp.dsl import Dataset, Input, Markdown, Output

VERSION = "1.0.0"
PACKAGES = ["pandas>=2.0"]


def validate_data(
    report: Output[Markdown],
    source: str = "",
    data: Input[Dataset] = None,
    required_columns: list = None,
    dtypes: dict = None,
    max_null_fraction: float = 0.0,
    min_rows: int = 1,
    max_rows: int = 0,
    fail_on_error: bool = False,
) -> NamedTuple("Outputs", [("is_valid", bool), ("rows", int)]):
    import collections

    import pandas as pd
    from pandas.api import types as ptypes

    location = data.path if data is not None else source
    if not location:
        raise ValueError("validate_data needs `source` (a path or URL) or `data` (a dataset)")
    try:
        frame = pd.read_csv(location)
    except Exception as exc:  # pandas raises many kinds: say which file and why
        raise ValueError(f"cannot read {location!r} as CSV: {exc}") from exc

    kinds = {"int": ptypes.is_integer_dtype, "float": ptypes.is_float_dtype, "numeric": ptypes.is_numeric_dtype,
             "string": lambda s: ptypes.is_object_dtype(s) or ptypes.is_string_dtype(s), "bool": ptypes.is_bool_dtype}
    checks = []  # (check, passed, detail)
    for column in required_columns or []:
        checks.append((f"column `{column}` exists", column in frame.columns, ""))
    for column, kind in (dtypes or {}).items():
        if kind not in kinds:
            raise ValueError(f"dtypes[{column!r}] = {kind!r}: use one of {', '.join(kinds)}")
        if column in frame.columns:
            checks.append((f"`{column}` is {kind}", bool(kinds[kind](frame[column])), str(frame[column].dtype)))
        else:
            checks.append((f"`{column}` is {kind}", False, "no such column"))
    nulls = frame.isna().mean() if len(frame) else collections.Counter()
    for column in frame.columns:
        fraction = float(nulls[column]) if len(frame) else 0.0
        checks.append((f"`{column}` empty cells <= {max_null_fraction:.0%}", fraction <= max_null_fraction,
                       f"{fraction:.1%}"))
    checks.append((f"at least {min_rows} rows", len(frame) >= min_rows, str(len(frame))))
    if max_rows:
        checks.append((f"at most {max_rows} rows", len(frame) <= max_rows, str(len(frame))))

    is_valid = all(passed for _, passed, _ in checks)
    lines = [f"# Data validation: {'passed' if is_valid else 'FAILED'}", "", f"Source: `{location}`", "",
             "| check | result | value |", "| --- | --- | --- |"]
    lines += [f"| {check} | {'ok' if passed else 'FAILED'} | {detail} |" for check, passed, detail in checks]
    with open(report.path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    failed = [check for check, passed, _ in checks if not passed]
    print(f"validate_data: {len(checks) - len(failed)}/{len(checks)} checks passed" + (f"; failed: {failed}" if failed else ""))
    if failed and fail_on_error:
        raise RuntimeError(f"data validation failed: {'; '.join(failed)}")
    return collections.namedtuple("Outputs", ["is_valid", "rows"])(is_valid, len(frame))
