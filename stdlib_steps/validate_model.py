"""Gate a model on its metrics before it is deployed.

Compares a model's accuracy (and optionally F1) with minimums and, when a
baseline is given, with the model it would replace. `is_valid` is meant for
the deploy step's `if:`; the report says which threshold failed.

Args:
    report: Markdown table of each threshold, the value and the verdict.
    accuracy: The model's accuracy on held-out data.
    f1: The model's F1 score, when it should be checked.
    min_accuracy: Lowest acceptable accuracy.
    min_f1: Lowest acceptable F1 (checked when `f1` is given).
    baseline_accuracy: Accuracy of the model in production, when there is one.
    max_regression: How much lower than the baseline the accuracy may be.

Returns:
    is_valid: Whether every threshold holds.
"""

from typing import NamedTuple

from kfp.dsl import Markdown, Output

VERSION = "1.0.0"
PACKAGES = []


def validate_model(
    report: Output[Markdown],
    accuracy: float,
    f1: float = None,
    min_accuracy: float = 0.0,
    min_f1: float = 0.0,
    baseline_accuracy: float = None,
    max_regression: float = 0.0,
) -> NamedTuple("Outputs", [("is_valid", bool)]):
    import collections

    checks = [("accuracy", accuracy, f">= {min_accuracy}", accuracy >= min_accuracy)]
    if f1 is not None:
        checks.append(("f1", f1, f">= {min_f1}", f1 >= min_f1))
    if baseline_accuracy is not None:
        floor = baseline_accuracy - max_regression
        checks.append(("accuracy vs baseline", accuracy, f">= {floor:.4f} (baseline {baseline_accuracy} - {max_regression})",
                       accuracy >= floor))
    is_valid = all(ok for *_, ok in checks)
    lines = [f"# Model validation: {'passed' if is_valid else 'FAILED'}", "", "| check | value | required | result |",
             "| --- | --- | --- | --- |"]
    lines += [f"| {name} | {value:.4f} | {required} | {'ok' if ok else 'FAILED'} |" for name, value, required, ok in checks]
    with open(report.path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"validate_model: {'passed' if is_valid else 'failed'}: " + ", ".join(f"{n} {v:.4f}" for n, v, _, _ in checks))
    return collections.namedtuple("Outputs", ["is_valid"])(is_valid)
