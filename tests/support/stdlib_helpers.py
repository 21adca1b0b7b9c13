"""Real small data and artifact objects for running standard-library steps in tests."""

from __future__ import annotations

from pathlib import Path


def write_dataset(directory: Path, name: str) -> Path:
    """One of scikit-learn's bundled datasets as a CSV with a `target` column."""
    from sklearn import datasets

    loader = {"iris": datasets.load_iris, "breast_cancer": datasets.load_breast_cancer, "wine": datasets.load_wine}[name]
    frame = loader(as_frame=True).frame
    path = directory / f"{name}.csv"
    frame.to_csv(path, index=False)
    return path


def artifact(kind: str, directory: Path, name: str):
    """A KFP artifact whose path is a fresh local file or folder name."""
    from kfp import dsl

    cls = {"dataset": dsl.Dataset, "model": dsl.Model, "metrics": dsl.Metrics, "markdown": dsl.Markdown,
           "classification_metrics": dsl.ClassificationMetrics, "artifact": dsl.Artifact}[kind]
    return cls(name=name, uri=str(directory / name), metadata={})
