"""A before/after bar chart, S3 GET and LIST apart, as a self-contained SVG (no plotting library)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping
from xml.sax.saxutils import escape

from secfilings.errors import SecfilingsError

__all__ = ["render_svg", "write_chart"]

_WIDTH, _HEIGHT = 760, 380
# (label, kinds of usd_per_day_by_kind) for the S3 bars; then athena, dynamodb, total
_S3_GROUPS = (("s3 GET", ("s3.GET", "s3.HEAD")), ("s3 LIST", ("s3.LIST",)), ("s3 PUT", ("s3.PUT", "s3.DELETE")))
_LEFT, _RIGHT, _TOP, _BOTTOM = 70, 20, 50, 60
_BEFORE, _AFTER = "#c0392b", "#27ae60"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** len(str(int(value))) / 10 if value >= 1 else 0.1
    top = step
    while top < value:
        top += step
    return top


def render_svg(report: Mapping[str, Any]) -> str:
    """Bars of USD a day, before (red) and after (green): S3 GET, LIST and PUT apart, Athena,
    DynamoDB and the total, with the saving in the legend."""
    b, a = report["before"], report["after"]
    groups = [
        (label, sum(b["usd_per_day_by_kind"].get(k, 0.0) for k in kinds), sum(a["usd_per_day_by_kind"].get(k, 0.0) for k in kinds))
        for label, kinds in _S3_GROUPS
    ]
    groups += [(s, b["usd_per_day_by_service"][s], a["usd_per_day_by_service"][s]) for s in ("athena", "dynamodb")]
    groups.append(("total", b["usd_per_day"], a["usd_per_day"]))
    top = _nice_max(max(max(x, y) for _, x, y in groups))
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    group_w = plot_w / len(groups)
    bar_w = group_w * 0.32

    def y_of(value: float) -> float:
        return _TOP + plot_h - plot_h * value / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" viewBox="0 0 {_WIDTH} {_HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<title>Cost per day before and after ({escape(str(report["prices"]))} prices)</title>',
        f'<rect width="{_WIDTH}" height="{_HEIGHT}" fill="white"/>',
        f'<text x="{_WIDTH / 2}" y="22" text-anchor="middle" font-size="15">USD per day, before vs after ({escape(str(report["prices"]))} prices)</text>',
    ]
    for i in range(5):
        value = top * i / 4
        y = y_of(value)
        parts.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_WIDTH - _RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">${value:,.2f}</text>')
    for index, (name, before, after) in enumerate(groups):
        x0 = _LEFT + group_w * index + group_w * 0.15
        for offset, value, colour, label in ((0.0, before, _BEFORE, "before"), (bar_w + 4, after, _AFTER, "after")):
            y = y_of(value)
            height = _TOP + plot_h - y
            parts.append(
                f'<rect class="{label}" data-service="{name}" x="{x0 + offset:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                f'height="{height:.1f}" fill="{colour}"><title>{name} {label}: ${value:,.2f}/day</title></rect>'
            )
            parts.append(f'<text x="{x0 + offset + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="11">${value:,.2f}</text>')
        parts.append(f'<text x="{x0 + bar_w + 2:.1f}" y="{_TOP + plot_h + 18}" text-anchor="middle">{escape(name)}</text>')
    legend_y = _HEIGHT - 18
    parts.append(f'<rect x="{_LEFT}" y="{legend_y - 10}" width="12" height="12" fill="{_BEFORE}"/>')
    parts.append(f'<text x="{_LEFT + 18}" y="{legend_y}">before ${b["usd_per_day"]:,.2f}/day</text>')
    parts.append(f'<rect x="{_LEFT + 200}" y="{legend_y - 10}" width="12" height="12" fill="{_AFTER}"/>')
    parts.append(f'<text x="{_LEFT + 218}" y="{legend_y}">after ${a["usd_per_day"]:,.2f}/day</text>')
    saving = report.get("saving") or {}
    if saving:
        parts.append(
            f'<text class="saving" x="{_LEFT + 400}" y="{legend_y}">saving ${saving["usd_per_day"]:,.2f}/day '
            f'({saving["percent"]:.1f}%)</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_chart(report: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the SVG chart to ``path`` (atomically); ``SecfilingsError`` naming it on failure."""
    target = Path(path)
    if target.suffix.lower() != ".svg":
        raise SecfilingsError(f"--chart {path}: the chart is an SVG file; name it with .svg")
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_text(render_svg(report), encoding="utf-8")
        os.replace(tmp, target)
    except OSError as error:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise SecfilingsError(f"--chart {path}: cannot write the chart ({error.strerror or error})") from None
    return target
