"""Clean a CSV and split it into train and test sets.

Reads a path, an http(s)/gs/s3 URL or a `dataset` input, drops rows with
empty cells, keeps the numeric feature columns and the target column, and
splits the rows (stratified by the target by default, so both sets keep the
class balance).

Args:
    train: The training rows, as CSV.
    test: The held-out rows, as CSV.
    source: Path or URL of the CSV, when `data` is not given.
    data: The CSV as a dataset artifact.
    target_column: The column to predict; kept whatever its type.
    test_size: Fraction of rows held out (between 0 and 1).
    stratify: Keep the target's class proportions in both sets.
    random_state: Seed of the split, for repeatable runs.

Returns:
    train_rows: Rows in `train`.
    test_rows: Rows in `test`.
    features: The feature columns kept.
"""

from typing import NamedTuple

from kfp.dsl import Dataset, Input, Output

VERSION = "1.0.0"
PACKAGES = ["pandas>=2.0", "scikit-learn>=1.3"]


def preprocess_csv(
    train: Output[Dataset],
    test: Output[Dataset],
    source: str = "",
    data: Input[Dataset] = None,
    target_column: str = "target",
    test_size: float = 0.2,
    stratify: bool = True,
    random_state: int = 42,
) -> NamedTuple("Outputs", [("train_rows", int), ("test_rows", int), ("features", list)]):
    import collections

    import pandas as pd
    from sklearn.model_selection import train_test_split

    location = data.path if data is not None else source
    if not location:
        raise ValueError("preprocess_csv needs `source` (a path or URL) or `data` (a dataset)")
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be between 0 and 1, not {test_size}")
    try:
        frame = pd.read_csv(location)
    except Exception as exc:
        raise ValueError(f"cannot read {location!r} as CSV: {exc}") from exc
    if target_column not in frame.columns:
        raise ValueError(f"no target column {target_column!r}; the columns are: {', '.join(map(str, frame.columns))}")
    frame = frame.dropna()
    features = [c for c in frame.select_dtypes("number").columns if c != target_column]
    if not features:
        raise ValueError("no numeric feature columns left after dropping empty rows")
    frame = frame[features + [target_column]]
    labels = frame[target_column] if stratify else None
    if stratify and frame[target_column].value_counts().min() < 2:
        raise ValueError("a target class has fewer than 2 rows, so a stratified split is impossible; "
                         "set `stratify: false` or add data")
    try:
        train_rows, test_rows = train_test_split(frame, test_size=test_size, random_state=random_state, stratify=labels)
    except ValueError as exc:
        raise ValueError(f"cannot split {len(frame)} rows with test_size={test_size}: {exc}") from exc
    train_rows.to_csv(train.path, index=False)
    test_rows.to_csv(test.path, index=False)
    for artifact, rows in ((train, train_rows), (test, test_rows)):
        artifact.metadata.update({"rows": len(rows), "target_column": target_column, "features": features})
    print(f"preprocess_csv: {len(train_rows)} train rows, {len(test_rows)} test rows, features {features}")
    return collections.namedtuple("Outputs", ["train_rows", "test_rows", "features"])(
        len(train_rows), len(test_rows), features)
