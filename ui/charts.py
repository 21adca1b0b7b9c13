"""KFP metrics as a person reads them: `system.Metrics` as a table, `system.ClassificationMetrics` as a
confusion matrix and an ROC curve, `system.SlicedClassificationMetrics` as both per slice.

The metadata is what kfp.dsl's artifact classes write (`log_metric`,
`log_confusion_matrix`, `log_roc_curve`), which is what KFP's own UI reads.
Charts are SVG made here, so the live page and the self-contained report
draw the same picture without a script library. Every text is escaped.
"""

from __future__ import annotations

from html import escape

METRICS = "system.Metrics"
CLASSIFICATION = "system.ClassificationMetrics"
SLICED = "system.SlicedClassificationMetrics"
KINDS = (METRICS, CLASSIFICATION, SLICED)


def render(kind: str, metadata: dict) -> str:
    """The HTML for one metrics artifact; empty when it holds nothing to draw."""
    if kind == METRICS:
        return metrics_table(metadata)
    if kind == CLASSIFICATION:
        return classification(metadata)
    if kind == SLICED:
        parts = []
        for item in metadata.get("evaluationSlices") or []:
            inner = classification(item.get("sliceClassificationMetrics") or {})
            if inner:
                parts.append(f'<div class="slice"><h5>slice {escape(str(item.get("slice", "")))}</h5>{inner}</div>')
        return "".join(parts)
    return ""


def metrics_table(metadata: dict) -> str:
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(_number(v))}</td></tr>" for k, v in sorted(metadata.items())
                   if k != "display_name")
    return f'<table class="metrics">{rows}</table>' if rows else ""


def classification(metadata: dict) -> str:
    parts = []
    matrix = metadata.get("confusionMatrix")
    if matrix:
        parts.append(confusion_matrix(matrix))
    curve = metadata.get("confidenceMetrics")
    if curve:
        parts.append(roc_curve(curve))
    return '<div class="charts">' + "".join(parts) + "</div>" if parts else ""


def confusion_matrix(matrix: dict) -> str:
    """Rows are the true class, columns the predicted one; a cell's shade is its share of the row."""
    names = [str(spec.get("displayName", i)) for i, spec in enumerate(matrix.get("annotationSpecs") or [])]
    rows = [list(row.get("row") or []) for row in matrix.get("rows") or []]
    n = len(names)
    if n == 0 or len(rows) != n or any(len(r) != n for r in rows):
        return '<p class="note">a confusion matrix whose rows do not match its classes</p>'
    cell = max(56, 8 + 7 * max(len(name[:10]) for name in names))  # room for the column's class name
    left, top = 90, 40
    size = left + cell * n + 10, top + cell * n + 30
    out = [f'<svg class="confusion" role="img" aria-label="confusion matrix" xmlns="http://www.w3.org/2000/svg" '
           f'width="{size[0]}" height="{size[1]}" viewBox="0 0 {size[0]} {size[1]}">',
           f'<text x="{left + cell * n / 2}" y="14" class="axis" text-anchor="middle">predicted</text>']
    for j, name in enumerate(names):
        out.append(f'<text x="{left + cell * j + cell / 2}" y="{top - 8}" text-anchor="middle">{escape(name[:10])}</text>')
    for i, row in enumerate(rows):
        total = sum(row) or 1
        out.append(f'<text x="{left - 8}" y="{top + cell * i + cell / 2 + 4}" text-anchor="end">{escape(names[i][:12])}</text>')
        for j, value in enumerate(row):
            share = value / total
            color = "#fff" if share > 0.5 else "#111"
            out.append(f'<rect x="{left + cell * j}" y="{top + cell * i}" width="{cell}" height="{cell}" '
                       f'fill="rgba(37,99,235,{0.08 + 0.85 * share:.3f})" stroke="#fff"/>')
            out.append(f'<text x="{left + cell * j + cell / 2}" y="{top + cell * i + cell / 2 + 4}" '
                       f'text-anchor="middle" fill="{color}" class="cell">{escape(_number(value))}</text>')
    out.append(f'<text x="12" y="{top + cell * n / 2}" class="axis" transform="rotate(-90 12 {top + cell * n / 2})" '
               'text-anchor="middle">true</text></svg>')
    return "".join(out)


def roc_curve(points: list) -> str:
    """False positive rate across, true positive rate (recall) up, the chance diagonal dashed; AUC by trapezoids."""
    pairs = sorted((float(p.get("falsePositiveRate", 0)), float(p.get("recall", 0))) for p in points
                   if isinstance(p, dict))
    if not pairs:
        return ""
    auc = sum((x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in zip(pairs, pairs[1:], strict=False))
    side, pad = 220, 36
    def at(x: float, y: float) -> str:
        return f"{pad + x * side:.1f},{pad / 2 + (1 - y) * side:.1f}"
    line = " ".join(at(x, y) for x, y in pairs)
    ticks = "".join(f'<text x="{pad + t * side}" y="{pad / 2 + side + 14}" text-anchor="middle">{t:g}</text>'
                    f'<text x="{pad - 6}" y="{pad / 2 + (1 - t) * side + 4}" text-anchor="end">{t:g}</text>'
                    for t in (0, 0.5, 1))
    return (f'<svg class="roc" role="img" aria-label="ROC curve" xmlns="http://www.w3.org/2000/svg" '
            f'width="{side + pad + 10}" height="{side + pad + 14}" viewBox="0 0 {side + pad + 10} {side + pad + 14}">'
            f'<rect x="{pad}" y="{pad / 2}" width="{side}" height="{side}" fill="none" stroke="#999"/>'
            f'<polyline points="{at(0, 0)} {at(1, 1)}" fill="none" stroke="#bbb" stroke-dasharray="4 3"/>'
            f'<polyline class="curve" points="{line}" fill="none" stroke="#dc2626" stroke-width="2"/>{ticks}'
            f'<text x="{pad + side - 4}" y="{pad / 2 + side - 6}" text-anchor="end" class="auc">AUC {auc:.3f}</text>'
            f'<text x="{pad + side / 2}" y="{pad / 2 + side + 28}" text-anchor="middle" class="axis">false positive rate</text>'
            '</svg>')


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
