"""Train a scikit-learn classifier on a CSV dataset.

`algorithm` is one of random_forest, gradient_boosting, hist_gradient_boosting,
logistic_regression, or xgboost when the xgboost package is installed;
`hyperparameters` are passed to the estimator (logistic regression is fitted
after a StandardScaler, in one scikit-learn pipeline). The model is saved with joblib
as `model.joblib` in the model artifact's folder: point a KServe sklearn
predictor's `storageUri` at the artifact and it serves the model as is.

Args:
    train: Training rows as CSV, with the target column.
    model: The fitted estimator (a folder holding model.joblib).
    metrics: Training accuracy, rows and features, as KFP metrics.
    algorithm: Which estimator to fit.
    hyperparameters: Keyword arguments for the estimator, e.g. {n_estimators: 200}.
    target_column: The column to predict.
    random_state: Seed for estimators that take one.

Returns:
    train_accuracy: Accuracy on the training rows.
"""

from typing import NamedTuple

from kfp.dsl import Dataset, Input, Metrics, Model, Output

VERSION = "1.0.0"
PACKAGES = ["pandas>=2.0", "scikit-learn>=1.3", "joblib>=1.3"]


def train_sklearn(
    train: Input[Dataset],
    model: Output[Model],
    metrics: Output[Metrics],
    algorithm: str = "random_forest",
    hyperparameters: dict = None,
    target_column: str = "target",
    random_state: int = 42,
) -> NamedTuple("Outputs", [("train_accuracy", float)]):
    import collections
    import importlib
    import inspect
    import os

    import joblib
    import pandas as pd

    estimators = {
        "random_forest": ("sklearn.ensemble", "RandomForestClassifier"),
        "gradient_boosting": ("sklearn.ensemble", "GradientBoostingClassifier"),
        "hist_gradient_boosting": ("sklearn.ensemble", "HistGradientBoostingClassifier"),
        "logistic_regression": ("sklearn.linear_model", "LogisticRegression"),
        "xgboost": ("xgboost", "XGBClassifier"),
    }
    if algorithm not in estimators:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(estimators)}")
    module_name, class_name = estimators[algorithm]
    try:
        estimator_class = getattr(importlib.import_module(module_name), class_name)
    except ImportError as exc:
        raise ValueError(f"algorithm {algorithm!r} needs the {module_name} package: add it to the image") from exc
    params = dict(hyperparameters or {})
    accepted = inspect.signature(estimator_class).parameters
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(f"{class_name} has no hyperparameter(s) {', '.join(unknown)}")
    if "random_state" in accepted:
        params.setdefault("random_state", random_state)
    if algorithm == "logistic_regression":
        params.setdefault("max_iter", 1000)

    frame = pd.read_csv(train.path)
    if target_column not in frame.columns:
        raise ValueError(f"no target column {target_column!r} in the training data")
    features = frame.drop(columns=[target_column])
    labels = frame[target_column]
    estimator = estimator_class(**params)
    if algorithm == "logistic_regression":  # a linear model needs scaled features to converge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        estimator = make_pipeline(StandardScaler(), estimator)
    estimator = estimator.fit(features, labels)
    accuracy = float(estimator.score(features, labels))

    os.makedirs(model.path, exist_ok=True)
    joblib.dump(estimator, os.path.join(model.path, "model.joblib"))
    model.metadata.update({"framework": "sklearn", "algorithm": algorithm, "features": list(features.columns),
                           "target_column": target_column})
    metrics.log_metric("train_accuracy", accuracy)
    metrics.log_metric("rows", len(frame))
    metrics.log_metric("features", features.shape[1])
    print(f"train_sklearn: {class_name}({params}) train accuracy {accuracy:.4f}")
    return collections.namedtuple("Outputs", ["train_accuracy"])(accuracy)
