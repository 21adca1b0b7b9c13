"""Evaluate a classifier on held-out data.

Loads a joblib model (as train_sklearn writes it) and scores it on the test
CSV. `accuracy` and `f1` are float outputs for conditions
(`if: ${{ steps.evaluate.outputs.accuracy > 0.9 }}`); the same figures go to
a Metrics artifact, and the confusion matrix (and, for two classes, the ROC
curve) to a ClassificationMetrics artifact that the KFP UI draws.

Args:
    model: The model: a folder with model.joblib, or a joblib file.
    test: Held-out rows as CSV, with the target column.
    metrics: Accuracy, F1, precision, recall and rows, as KFP metrics.
    classification_metrics: Confusion matrix and ROC curve for the KFP UI.
    target_column: The column to predict.

Returns:
    accuracy: Fraction of test rows predicted right.
    f1: F1 score (binary), or macro-averaged F1 for more classes.
"""

from typing import NamedTuple

from kfp.dsl import ClassificationMetrics, Dataset, Input, Metrics, Model, Output

VERSION = "1.0.0"
PACKAGES = ["pandas>=2.0", "scikit-learn>=1.3", "joblib>=1.3"]


def evaluate_classifier(
    model: Input[Model],
    test: Input[Dataset],
    metrics: Output[Metrics],
    classification_metrics: Output[ClassificationMetrics],
    target_column: str = "target",
) -> NamedTuple("Outputs", [("accuracy", float), ("f1", float)]):
    import collections
    import math
    import os

    import joblib
    import pandas as pd
    from sklearn import metrics as skm

    path = os.path.join(model.path, "model.joblib") if os.path.isdir(model.path) else model.path
    if not os.path.exists(path):
        raise ValueError(f"no model at {path}: expected a folder with model.joblib or a joblib file")
    estimator = joblib.load(path)
    frame = pd.read_csv(test.path)
    if target_column not in frame.columns:
        raise ValueError(f"no target column {target_column!r} in the test data")
    truth = frame[target_column]
    features = frame.drop(columns=[target_column])
    predicted = estimator.predict(features)
    classes = sorted(set(truth) | set(predicted), key=str)
    binary = len(classes) == 2
    average = "binary" if binary else "macro"
    options = {"pos_label": classes[1]} if binary else {}
    accuracy = float(skm.accuracy_score(truth, predicted))
    f1 = float(skm.f1_score(truth, predicted, average=average, zero_division=0, **options))
    precision = float(skm.precision_score(truth, predicted, average=average, zero_division=0, **options))
    recall = float(skm.recall_score(truth, predicted, average=average, zero_division=0, **options))
    for name, value in (("accuracy", accuracy), ("f1", f1), ("precision", precision), ("recall", recall)):
        metrics.log_metric(name, value)
    metrics.log_metric("rows", len(frame))

    matrix = skm.confusion_matrix(truth, predicted, labels=classes)
    classification_metrics.log_confusion_matrix([str(c) for c in classes], matrix.tolist())
    if binary and hasattr(estimator, "predict_proba"):
        scores = estimator.predict_proba(features)[:, list(estimator.classes_).index(classes[1])]
        fpr, tpr, thresholds = skm.roc_curve(truth, scores, pos_label=classes[1])
        thresholds = [1.0 if math.isinf(t) else float(t) for t in thresholds]
        classification_metrics.log_roc_curve([float(x) for x in fpr], [float(y) for y in tpr], thresholds)
    print(f"evaluate_classifier: accuracy {accuracy:.4f}, f1 {f1:.4f} on {len(frame)} rows")
    return collections.namedtuple("Outputs", ["accuracy", "f1"])(accuracy, f1)
