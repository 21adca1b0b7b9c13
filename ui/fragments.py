"""The HTML both the live page and `kfyaml report` show: a step's details, its artifacts, a comparison.

Every text from a run (a param, a log line, a file name, an artifact) is
escaped here. An artifact is shown by what it is: KFP metrics drawn
(charts), Markdown rendered with raw HTML off (markdown-it, which rich
already brings), HTML only inside a sandboxed iframe without scripts, the
first rows of a CSV, an image, and anything else as a link to download.
`link(rel)` gives a file's URL on the page; in the report it is None and
files are embedded instead.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import time
from collections.abc import Callable
from html import escape
from pathlib import Path

from kfyaml.runner.progress_lines import text as progress_text

from . import charts

PREVIEW_ROWS = 20
PREVIEW_BYTES = 64 * 1024
EMBED_BYTES = 2 * 1024 * 1024  # the report embeds images and HTML up to this size
LOG_TAIL_LINES = 200
_IMAGES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp"}
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
          (b"GIF89a", "image/gif"))


def image_type(path: Path) -> str | None:
    """An image's type, by its name or, for an artifact KFP named without an extension, by its first bytes
    (SVG is never one: it can hold scripts)."""
    if path.suffix.lower() in _IMAGES:
        return _IMAGES[path.suffix.lower()]
    if path.suffix:
        return None
    try:
        with open(path, "rb") as fh:
            start = fh.read(12)
    except OSError:
        return None
    if start[:4] == b"RIFF" and start[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _MAGIC if start.startswith(magic)), None)


def when(seconds: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds)) if seconds else "-"


def duration(started: float | None, finished: float | None) -> str:
    if not started:
        return "-"
    total = (finished or time.time()) - started
    return f"{total:.1f}s" if total < 120 else f"{int(total // 60)}m{int(total % 60):02d}s"


def value(v) -> str:
    return escape(v if isinstance(v, str) else json.dumps(v, default=str))


def step_details(steps: list[dict], folder: Path, link: Callable[[str], str | None]) -> str:
    """Every run of one node (a loop runs it once per item): state, timing, cache, retries, values, artifacts, log."""
    out = []
    for step in steps:
        rows = [("state", escape(step.get("state", "")) + (f" ({escape(step['reason'])})" if step.get("reason") else "")),
                ("started", when(step.get("started"))), ("took", duration(step.get("started"), step.get("finished"))),
                ("from cache", "yes" if step.get("state") == "cached" else "no"),
                ("retries", str(step.get("retries", 0)))]
        if step.get("progress"):
            rows.append(("progress", escape(progress_text(step["progress"]))))
        if step.get("error"):
            rows.append(("error", f'<pre class="error">{escape(step["error"])}</pre>'))
        table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
        inputs = "".join(f"<tr><th>{escape(k)}</th><td>{value(v)}</td></tr>" for k, v in sorted(step.get("inputs", {}).items()))
        outputs = "".join(f"<tr><th>{escape(k)}</th><td>{value(v)}</td></tr>" for k, v in sorted(step.get("outputs", {}).items()))
        parts = [f'<section class="step" data-path="{escape(step.get("path", ""))}"><h3>{escape(step.get("label", ""))}</h3>',
                 f'<table class="facts">{table}</table>']
        if inputs:
            parts.append(f'<h4>inputs</h4><table class="values">{inputs}</table>')
        if outputs:
            parts.append(f'<h4>outputs</h4><table class="values">{outputs}</table>')
        for name, paths in sorted(step.get("artifacts", {}).items()):
            infos = step.get("artifact_info", {}).get(name) or [{}] * len(paths)
            for path, info in zip(paths, infos, strict=False):
                parts.append(f'<h4>{escape(name)} <span class="type">{escape(info.get("type", ""))}</span></h4>')
                parts.append(artifact(path, info, folder, link))
        parts.append(log_block(step, folder, link))
        parts.append("</section>")
        out.append("".join(parts))
    return "".join(out) or '<p class="note">this step has not been reached</p>'


def log_block(step: dict, folder: Path, link: Callable[[str], str | None]) -> str:
    rel = step.get("log")
    if not rel:
        return ""
    text = tail(folder / rel, LOG_TAIL_LINES)
    full = link(rel)
    more = f' <a href="{escape(full)}" target="_blank" rel="noopener" class="full-log">full log</a>' if full else ""
    return f'<h4>log (last {LOG_TAIL_LINES} lines){more}</h4><pre class="log">{escape(text)}</pre>'


def tail(path: Path, lines: int) -> str:
    """The last lines of a file, reading only its end (a log can be large)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 256 * 1024))
            data = fh.read()
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


def artifact(rel: str, info: dict, folder: Path, link: Callable[[str], str | None]) -> str:
    kind = info.get("type", "")
    if kind in charts.KINDS:
        drawn = charts.render(kind, info.get("metadata") or {})
        if drawn:
            return drawn
    path = folder / rel if not os.path.isabs(rel) and "://" not in rel else None
    if path is None or not path.exists():
        return f'<p class="uri">{escape(rel)}</p>'
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())[:50]
        items = "".join(f"<li>{_download(p.relative_to(folder).as_posix(), link)}</li>" for p in files)
        return f'<ul class="files">{items}</ul>' if items else '<p class="note">an empty folder</p>'
    suffix = path.suffix.lower()
    if kind == "system.Markdown" or suffix == ".md":
        return f'<div class="markdown">{markdown(_head(path))}</div>'
    if kind == "system.HTML" or suffix in (".html", ".htm"):
        url = link(rel)
        if url:  # served as HTML whatever its name, under a sandboxing CSP (server.py)
            return f'<iframe class="html" sandbox src="{escape(url)}&amp;as=html"></iframe>{_download(rel, link)}'
        return f'<iframe class="html" sandbox srcdoc="{escape(_head(path, EMBED_BYTES))}"></iframe>'
    if suffix in (".csv", ".tsv") or (not suffix and not image_type(path) and _looks_like_csv(path)):
        return table_preview(path, "\t" if suffix == ".tsv" else ",") + _download(rel, link)
    kind_of_image = image_type(path)
    if kind_of_image:
        url = link(rel)
        if url is None and path.stat().st_size <= EMBED_BYTES:
            url = f"data:{kind_of_image};base64,{base64.b64encode(path.read_bytes()).decode()}"
        return f'<img class="artifact" alt="{escape(rel)}" src="{escape(url)}">' if url else _download(rel, link)
    return _download(rel, link)


def markdown(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def table_preview(path: Path, delimiter: str) -> str:
    rows = list(csv.reader(io.StringIO(_head(path)), delimiter=delimiter))[: PREVIEW_ROWS + 1]
    if not rows:
        return '<p class="note">an empty file</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows[1:])
    return f'<table class="preview"><tr>{head}</tr>{body}</table><p class="note">the first {len(rows) - 1} rows</p>'


def compare(runs: list[dict]) -> str:
    """Params and metrics side by side (a row that differs is marked), and the steps whose state or outputs differ."""
    heads = "<tr><th></th>" + "".join(f"<th>{escape(r['id'])}</th>" for r in runs) + "</tr>"
    params = _rows([r.get("params", {}) for r in runs])
    metrics = _rows([run_metrics(r) for r in runs])
    steps = _rows([{s["label"]: {"state": _ended(s["state"]), "outputs": s.get("outputs", {})} for s in r.get("steps", [])}
                   for r in runs], only_differing=True)
    return (f'<h3>params</h3><table class="compare">{heads}{params}</table>'
            f'<h3>metrics</h3><table class="compare">{heads}{metrics}</table>'
            f'<h3>steps that differ</h3><table class="compare">{heads}{steps}</table>')


def _ended(state: str) -> str:
    """A result from the cache is the same result: runs differ in what steps gave, not in how."""
    return "succeeded" if state == "cached" else state


def _rows(values: list[dict], only_differing: bool = False) -> str:
    out = []
    for key in sorted({k for v in values for k in v}):
        cells = [v.get(key) for v in values]
        differs = len({json.dumps(c, sort_keys=True, default=str) for c in cells}) > 1
        if differs or not only_differing:
            out.append(f'<tr class="{"differs" if differs else "same"}"><th>{escape(key)}</th>' +
                       "".join(f"<td>{value(c) if c is not None else '-'}</td>" for c in cells) + "</tr>")
    return "".join(out)


def run_metrics(run: dict) -> dict:
    """`step.output.metric` -> value, from every `system.Metrics` artifact of a run."""
    out = {}
    for step in run.get("steps", []):
        for name, infos in step.get("artifact_info", {}).items():
            for info in infos:
                if info.get("type") == charts.METRICS:
                    for key, v in (info.get("metadata") or {}).items():
                        if key != "display_name":
                            out[f"{step['label']}.{name}.{key}"] = v
    return out


def _download(rel: str, link: Callable[[str], str | None]) -> str:
    url = link(rel)
    name = escape(rel.rsplit("/", 1)[-1])
    return f'<a class="download" href="{escape(url)}" download>{name}</a>' if url else f'<span class="file">{escape(rel)}</span>'


def _looks_like_csv(path: Path) -> bool:
    """A file without an extension (KFP names artifacts by output name) that is text with commas in its header."""
    with open(path, "rb") as fh:
        start = fh.read(4096)
    try:
        first = start.decode("utf-8").splitlines()[0] if start else ""
    except UnicodeDecodeError:
        return False
    return "," in first and b"\x00" not in start


def _head(path: Path, most: int = PREVIEW_BYTES) -> str:
    with open(path, "rb") as fh:
        return fh.read(most).decode("utf-8", "replace")
