"""The data and scikit-learn steps, run on real small data, outputs checked."""

from __future__ import annotations

import os

import joblib
import pandas as pd
import pytest
from support.stdlib_helpers import artifact, write_dataset

from kfyaml.stdlib_steps.compare_models import compare_models
from kfyaml.stdlib_steps.evaluate_classifier import evaluate_classifier
from kfyaml.stdlib_steps.preprocess_csv import preprocess_csv
from kfyaml.stdlib_steps.train_sklearn import train_sklearn
from kfyaml.stdlib_steps.validate_data import validate_data
from kfyaml.stdlib_steps.validate_model import validate_model


@pytest.fixture
def iris(tmp_path):
    return write_dataset(tmp_path, "iris")


@pytest.fixture
def split(tmp_path):
    """breast_cancer (two classes) split by preprocess_csv."""
    source = write_dataset(tmp_path, "breast_cancer")
    train, test = artifact("dataset", tmp_path, "train.csv"), artifact("dataset", tmp_path, "test.csv")
    preprocess_csv(train=train, test=test, source=str(source), test_size=0.25)
    return train, test


# ---- validate_data ---------------------------------------------------------------

def test_validate_data_passes_good_data(tmp_path, iris):
    report = artifact("markdown", tmp_path, "report.md")
    out = validate_data(report=report, source=str(iris), required_columns=["target", "sepal length (cm)"],
                        dtypes={"target": "int", "petal width (cm)": "float"}, min_rows=100, max_rows=1000)
    assert (out.is_valid, out.rows) == (True, 150)
    text = open(report.path).read()
    assert text.startswith("# Data validation: passed\n")
    assert "| `target` is int | ok | int64 |" in text


def test_validate_data_reports_each_failure(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,x\n,y\n3,\n")
    report = artifact("markdown", tmp_path, "report.md")
    out = validate_data(report=report, source=str(path), required_columns=["target"], dtypes={"a": "int"},
                        max_null_fraction=0.2, min_rows=5)
    assert (out.is_valid, out.rows) == (False, 3)
    text = open(report.path).read()
    for line in ("| column `target` exists | FAILED |  |", "| `a` is int | FAILED | float64 |",
                 "| `a` empty cells <= 20% | FAILED | 33.3% |", "| at least 5 rows | FAILED | 3 |"):
        assert line in text


def test_validate_data_can_fail_the_step(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a\n1\n")
    with pytest.raises(RuntimeError, match=r"^data validation failed: column `target` exists$"):
        validate_data(report=artifact("markdown", tmp_path, "r.md"), source=str(path), required_columns=["target"],
                      fail_on_error=True)


def test_validate_data_reads_a_dataset_input(tmp_path, iris):
    data = artifact("dataset", tmp_path, "in.csv")
    data.path = str(iris)
    assert validate_data(report=artifact("markdown", tmp_path, "r.md"), data=data).rows == 150


def test_validate_data_unreadable_file(tmp_path):
    with pytest.raises(ValueError, match=r"^cannot read '.*missing.csv' as CSV: "):
        validate_data(report=artifact("markdown", tmp_path, "r.md"), source=str(tmp_path / "missing.csv"))


# ---- preprocess_csv -----------------------------------------------------------------

def test_preprocess_splits_stratified(tmp_path, iris):
    train, test = artifact("dataset", tmp_path, "train.csv"), artifact("dataset", tmp_path, "test.csv")
    out = preprocess_csv(train=train, test=test, source=str(iris), test_size=0.2)
    assert (out.train_rows, out.test_rows) == (120, 30)
    assert out.features == ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
    test_frame = pd.read_csv(test.path)
    assert test_frame["target"].value_counts().to_dict() == {0: 10, 1: 10, 2: 10}  # stratified
    assert train.metadata["rows"] == 120


def test_preprocess_drops_empty_rows_and_text_columns(tmp_path):
    path = tmp_path / "mixed.csv"
    rows = ["x,name,target"] + [f"{i},n{i},{i % 2}" for i in range(20)] + [",zz,1"]
    path.write_text("\n".join(rows) + "\n")
    train, test = artifact("dataset", tmp_path, "train.csv"), artifact("dataset", tmp_path, "test.csv")
    out = preprocess_csv(train=train, test=test, source=str(path), test_size=0.5)
    assert out.features == ["x"]
    assert out.train_rows + out.test_rows == 20
    assert list(pd.read_csv(train.path).columns) == ["x", "target"]


@pytest.mark.parametrize("content, kwargs, message", [
    ("a,b\n1,2\n", {}, r"^no target column 'target'; the columns are: a, b$"),
    ("name,target\nx,1\ny,0\n", {}, r"^no numeric feature columns left after dropping empty rows$"),
    ("x,target\n1,a\n2,b\n3,b\n4,b\n", {}, r"stratified split is impossible; set `stratify: false`"),
    ("x,target\n1,a\n", {"test_size": 1.5}, r"^test_size must be between 0 and 1, not 1.5$"),
])
def test_preprocess_bad_data(tmp_path, content, kwargs, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        preprocess_csv(train=artifact("dataset", tmp_path, "tr"), test=artifact("dataset", tmp_path, "te"),
                       source=str(path), **kwargs)


# ---- train_sklearn / evaluate_classifier ----------------------------------------------

@pytest.mark.parametrize("algorithm, floor", [("random_forest", 0.9), ("gradient_boosting", 0.9),
                                              ("hist_gradient_boosting", 0.9), ("logistic_regression", 0.9)])
def test_train_and_evaluate(tmp_path, split, algorithm, floor):
    train, test = split
    model, metrics = artifact("model", tmp_path, "model"), artifact("metrics", tmp_path, "metrics")
    trained = train_sklearn(train=train, model=model, metrics=metrics, algorithm=algorithm)
    # One joblib file in the model folder: what KServe's sklearn server loads from storageUri.
    assert os.listdir(model.path) == ["model.joblib"]
    estimator = joblib.load(os.path.join(model.path, "model.joblib"))
    assert hasattr(estimator, "predict_proba")
    assert 0.9 <= trained.train_accuracy <= 1.0
    assert metrics.metadata["rows"] == len(pd.read_csv(train.path))
    assert model.metadata["algorithm"] == algorithm

    eval_metrics = artifact("metrics", tmp_path, "eval")
    classification = artifact("classification_metrics", tmp_path, "cm")
    scores = evaluate_classifier(model=model, test=test, metrics=eval_metrics, classification_metrics=classification)
    assert floor <= scores.accuracy <= 1.0 and floor <= scores.f1 <= 1.0
    assert eval_metrics.metadata["accuracy"] == scores.accuracy
    matrix = classification.metadata["confusionMatrix"]
    assert [c["displayName"] for c in matrix["annotationSpecs"]] == ["0", "1"]
    assert sum(sum(row["row"]) for row in matrix["rows"]) == len(pd.read_csv(test.path))
    roc = classification.metadata["confidenceMetrics"]
    assert roc[0]["falsePositiveRate"] == 0.0 and roc[-1]["recall"] == 1.0


def test_train_with_hyperparameters_and_multiclass(tmp_path, iris):
    train, test = artifact("dataset", tmp_path, "train.csv"), artifact("dataset", tmp_path, "test.csv")
    preprocess_csv(train=train, test=test, source=str(iris))
    model = artifact("model", tmp_path, "model")
    train_sklearn(train=train, model=model, metrics=artifact("metrics", tmp_path, "m"),
                  hyperparameters={"n_estimators": 7, "max_depth": 3})
    assert joblib.load(os.path.join(model.path, "model.joblib")).n_estimators == 7
    scores = evaluate_classifier(model=model, test=test, metrics=artifact("metrics", tmp_path, "e"),
                                 classification_metrics=artifact("classification_metrics", tmp_path, "c"))
    assert scores.accuracy >= 0.85


@pytest.mark.parametrize("kwargs, message", [
    ({"algorithm": "svm"}, r"^unknown algorithm 'svm'; choose one of random_forest, gradient_boosting, "
                           r"hist_gradient_boosting, logistic_regression, xgboost$"),
    ({"hyperparameters": {"n_trees": 3}}, r"^RandomForestClassifier has no hyperparameter\(s\) n_trees$"),
    ({"target_column": "label"}, r"^no target column 'label' in the training data$"),
])
def test_train_bad_settings(tmp_path, split, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_sklearn(train=split[0], model=artifact("model", tmp_path, "m"), metrics=artifact("metrics", tmp_path, "x"),
                      **kwargs)


def test_evaluate_without_a_model(tmp_path, split):
    with pytest.raises(ValueError, match=r"^no model at .*model.joblib: expected a folder"):
        missing = artifact("model", tmp_path, "none")
        os.makedirs(missing.path)
        evaluate_classifier(model=missing, test=split[1], metrics=artifact("metrics", tmp_path, "e"),
                            classification_metrics=artifact("classification_metrics", tmp_path, "c"))


# ---- compare_models / validate_model ------------------------------------------------------

def test_compare_models_picks_the_best_and_copies_it(tmp_path):
    models = []
    for i in range(3):
        m = artifact("model", tmp_path, f"model-{i}")
        os.makedirs(m.path)
        open(os.path.join(m.path, "model.joblib"), "w").write(f"model {i}")
        models.append(m)
    best_model = artifact("model", tmp_path, "best")
    comparison = artifact("markdown", tmp_path, "comparison.md")
    out = compare_models(scores=[0.8, 0.95, 0.9], comparison=comparison, best_model=best_model, models=models,
                         names=["rf", "gb", "lr"])
    assert (out.best_index, out.best_name, out.best_score) == (1, "gb", 0.95)
    assert open(os.path.join(best_model.path, "model.joblib")).read() == "model 1"
    assert open(comparison.path).read().splitlines()[4:] == [
        "| 1 | gb (best) | 0.9500 |", "| 2 | lr | 0.9000 |", "| 3 | rf | 0.8000 |"]


def test_compare_models_lower_is_better_and_dicts(tmp_path):
    out = compare_models(scores=[{"loss": 0.3}, {"loss": 0.1}], comparison=artifact("markdown", tmp_path, "c"),
                         best_model=artifact("model", tmp_path, "b"), metric="loss", higher_is_better=False)
    assert (out.best_index, out.best_name) == (1, "model-1")
    with pytest.raises(ValueError, match=r"^score 0 has no 'accuracy'; it has: loss$"):
        compare_models(scores=[{"loss": 1}], comparison=artifact("markdown", tmp_path, "c"),
                       best_model=artifact("model", tmp_path, "b"))
    with pytest.raises(ValueError, match=r"^3 names for 2 scores$"):
        compare_models(scores=[1, 2], names=["a", "b", "c"], comparison=artifact("markdown", tmp_path, "c"),
                       best_model=artifact("model", tmp_path, "b"))


def test_validate_model_gate(tmp_path):
    report = artifact("markdown", tmp_path, "r.md")
    assert validate_model(report=report, accuracy=0.91, f1=0.9, min_accuracy=0.9, min_f1=0.85).is_valid is True
    out = validate_model(report=report, accuracy=0.91, min_accuracy=0.8, baseline_accuracy=0.95, max_regression=0.02)
    assert out.is_valid is False
    assert "| accuracy vs baseline | 0.9100 | >= 0.9300 (baseline 0.95 - 0.02) | FAILED |" in open(report.path).read()
