"""Pick the best of several models from their scores.

Takes the scores gathered from a loop or matrix (fan-in:
`scores: ${{ steps.evaluate.outputs.accuracy }}` after the loop), or a list of
metric dicts, and returns the index, name and score of the best, with a
Markdown table of all of them. Given the models gathered from the same loop
(`models: ${{ steps.train.outputs.model }}`), it also outputs the best one as
`best_model`, ready for a deploy step.

Args:
    scores: One score per model: numbers, or dicts holding `metric`.
    comparison: Markdown table of every model's score, best first.
    best_model: The best of `models` (empty when `models` is not given).
    models: The models the scores belong to, in the same order.
    names: A name per model (default: model-0, model-1, ...).
    metric: With dict scores, the key to compare.
    higher_is_better: False when a lower score is better (a loss).

Returns:
    best_index: Position of the best model in `scores`.
    best_name: Its name.
    best_score: Its score.
"""

from typing import List, NamedTuple

from kfp.dsl import Input, Markdown, Model, Output

VERSION = "1.0.0"
PACKAGES = []


def compare_models(
    scores: list,
    comparison: Output[Markdown],
    best_model: Output[Model],
    models: Input[List[Model]] = None,
    names: list = None,
    metric: str = "accuracy",
    higher_is_better: bool = True,
) -> NamedTuple("Outputs", [("best_index", int), ("best_name", str), ("best_score", float)]):
    import collections
    import os
    import shutil

    if not scores:
        raise ValueError("compare_models needs at least one score")
    values = []
    for i, score in enumerate(scores):
        if isinstance(score, dict):
            if metric not in score:
                raise ValueError(f"score {i} has no {metric!r}; it has: {', '.join(score)}")
            score = score[metric]
        try:
            values.append(float(score))
        except (TypeError, ValueError):
            raise ValueError(f"score {i} is {score!r}, not a number") from None
    names = [str(n) for n in names] if names else [f"model-{i}" for i in range(len(values))]
    if len(names) != len(values):
        raise ValueError(f"{len(names)} names for {len(values)} scores")
    order = sorted(range(len(values)), key=lambda i: values[i], reverse=higher_is_better)
    best = order[0]
    lines = ["# Model comparison", "", f"| rank | model | {metric} |", "| --- | --- | --- |"]
    lines += [f"| {rank + 1} | {names[i]}{' (best)' if i == best else ''} | {values[i]:.4f} |" for rank, i in enumerate(order)]
    with open(comparison.path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    if models:
        if len(models) != len(values):
            raise ValueError(f"{len(models)} models for {len(values)} scores")
        chosen = models[best]
        if os.path.isdir(chosen.path):
            shutil.copytree(chosen.path, best_model.path, dirs_exist_ok=True)
        else:
            shutil.copyfile(chosen.path, best_model.path)
        best_model.metadata.update({**chosen.metadata, "name": names[best], "score": values[best]})
    print(f"compare_models: best is {names[best]} with {metric} {values[best]:.4f}")
    return collections.namedtuple("Outputs", ["best_index", "best_name", "best_score"])(best, names[best], values[best])
