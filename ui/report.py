"""`kfyaml report RUN`: one run as one file, for a CI job's artifacts or a pull request.

HTML: self-contained (styles, the DAG, charts and images inside it; no
script, no network), the same pictures as the live page. Markdown: a
table of steps and the metrics, for a pull-request comment.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from pathlib import Path

from . import charts, dag_svg, fragments


def html(run: dict, folder: Path) -> str:
    style = resources.files("kfyaml.ui").joinpath("page", "style.css").read_text(encoding="utf-8")
    graph = run.get("graph") or {"nodes": []}
    params = "".join(f"<tr><th>{escape(k)}</th><td>{fragments.value(v)}</td></tr>" for k, v in sorted(run.get("params", {}).items()))
    rows = "".join(f'<tr><td>{escape(s["label"])}</td><td><span class="state {escape(s["state"])}">{escape(s["state"])}</span>'
                   f'</td><td>{fragments.duration(s.get("started"), s.get("finished"))}</td><td>{s.get("retries", 0)}</td></tr>'
                   for s in run.get("steps", []))
    shown = [s for s in run.get("steps", []) if s.get("artifact_info") or s.get("state") in ("failed", "timed_out")]
    details = fragments.step_details(shown, folder, lambda rel: None) if shown else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(run.get("pipeline", ""))} '
            f'· {escape(run.get("id", ""))}</title><style>{style}</style></head><body>'
            f'<header>kfyaml report · {escape(run.get("id", ""))}</header><main>'
            f'<h2>{escape(run.get("pipeline", ""))} <span class="state {escape(run.get("state", ""))}">'
            f'{escape(run.get("state", ""))}</span> {fragments.duration(run.get("started"), run.get("finished"))}</h2>'
            f'<p class="note">started {fragments.when(run.get("started"))} · {escape(_counts(run))}</p>'
            f'<table class="params">{params}</table>'
            f'<div class="dag-box">{dag_svg.svg(graph, run.get("nodes"))}</div>'
            f'<h3>steps</h3><table class="steps"><tr><th>step</th><th>state</th><th>took</th><th>retries</th></tr>{rows}</table>'
            f'<h3>metrics and artifacts</h3>{details or "<p class=note>no artifacts</p>"}</main></body></html>\n')


def markdown(run: dict) -> str:
    out = [f"### {_md(run.get('pipeline', ''))}: {run.get('state')} in {fragments.duration(run.get('started'), run.get('finished'))}",
           "", f"Run `{run.get('id')}` · {_counts(run)}", ""]
    if run.get("params"):
        out += ["| param | value |", "| --- | --- |"]
        out += [f"| {_md(k)} | {_md(fragments.value(v))} |" for k, v in sorted(run["params"].items())]
        out.append("")
    out += ["| step | state | took | retries |", "| --- | --- | --- | --- |"]
    out += [f"| {_md(s['label'])} | {s['state']} | {fragments.duration(s.get('started'), s.get('finished'))} | "
            f"{s.get('retries', 0)} |" for s in run.get("steps", [])]
    metrics = fragments.run_metrics(run)
    if metrics:
        out += ["", "| metric | value |", "| --- | --- |"]
        out += [f"| {_md(k)} | {_md(str(v))} |" for k, v in sorted(metrics.items())]
    for step in run.get("steps", []):
        for name, infos in sorted(step.get("artifact_info", {}).items()):
            for info in infos:
                matrix = (info.get("metadata") or {}).get("confusionMatrix") if info.get("type") == charts.CLASSIFICATION else None
                if matrix:
                    out += ["", f"Confusion matrix of {_md(step['label'])}.{_md(name)} (rows: true, columns: predicted)", ""]
                    names = [str(a.get("displayName", "")) for a in matrix.get("annotationSpecs", [])]
                    out += ["| | " + " | ".join(_md(n) for n in names) + " |", "| --- " * (len(names) + 1) + "|"]
                    out += [f"| {_md(n)} | " + " | ".join(str(v) for v in row.get("row", [])) + " |"
                            for n, row in zip(names, matrix.get("rows", []), strict=False)]
    return "\n".join(out) + "\n"


def _counts(run: dict) -> str:
    return ", ".join(f"{n} {state}" for state, n in sorted((run.get("counts") or {}).items()))


def _md(text: str) -> str:
    """Text safe in a Markdown table cell: no pipe ends the cell, no HTML is read."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")
