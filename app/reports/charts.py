"""Charts of the reports as server-rendered SVG: no script, no CDN, no dependency.

Each chart is one ``<svg role="img">`` labelled by its ``<title>`` and ``<desc>``; every bar
or point carries its own ``<title>`` (label and value), and values and labels are written as
text, so nothing is said by colour alone. Every text that reaches the markup is escaped (and
stripped of characters XML cannot hold): achievement and program names are the issuer's
input. The output is a pure function of the arguments (fixed geometry, fixed number
formatting), so tests can compare it byte for byte.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from xml.sax.saxutils import escape

WIDTH = 640
HEIGHT = 240
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ID = re.compile(r"[^A-Za-z0-9_-]")
_BAR_FILL = "#1f5f99"
_FUNNEL_FILL = "#2d7a4f"
_GRID = "#c8ccd2"
_MAX_LABEL = 36


def text(value: object) -> str:
    """``value`` as text safe inside an element or a double-quoted attribute."""
    return escape(_NOT_XML.sub("", str(value)), {'"': "&quot;", "'": "&#39;"})


def _short(label: str, limit: int = _MAX_LABEL) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _axis_label(label: str) -> str:
    """A day under the axis: ``12-03`` for ``2026-12-03`` (the year is in the title)."""
    return label[5:] if _ISO_DAY.fullmatch(label) else _short(label, 10)


def _num(value: float) -> str:
    """A coordinate with at most one decimal (deterministic, compact)."""
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"


def _nice_max(value: int) -> int:
    """The top of the value axis: ``value`` rounded up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 1
    while power * 10 <= value:
        power *= 10
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    safe_id = _ID.sub("-", chart_id) or "chart"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{safe_id}-title {safe_id}-desc">',
        f'<title id="{safe_id}-title">{text(title)}</title>',
        f'<desc id="{safe_id}-desc">{text(desc)}</desc>',
    ]


def daily_chart(
    chart_id: str,
    title: str,
    desc: str,
    points: Sequence[tuple[str, int]],
    *,
    style: str = "bar",
    width: int = WIDTH,
    height: int = HEIGHT,
) -> str:
    """A per-day chart of ``points`` (``(day label, value)`` in order): bars, or a line
    (``style="line"``). The value axis starts at zero; days are labelled below (every day up
    to 10, then about seven of them), and each bar or point has a ``<title>``."""
    if style not in ("bar", "line"):
        raise ValueError(f"unknown chart style {style!r}")
    left, right, top, bottom = 48, 12, 12, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((value for _, value in points), default=0))
    parts = _open(chart_id, title, desc, width, height)
    for tick in (0, top_value // 2 if top_value % 2 == 0 else top_value / 2, top_value):
        y = top + plot_h - plot_h * tick / top_value
        parts.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{width - right}" y2="{_num(y)}" '
            f'stroke="{_GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{_num(y + 4)}" text-anchor="end" font-size="11" '
            f'fill="currentColor">{text(_num(tick))}</text>'
        )
    count = len(points)
    slot = plot_w / count if count else plot_w
    every = 1 if count <= 10 else math.ceil(count / 7)
    marks: list[str] = []
    line: list[str] = []
    for n, (label, value) in enumerate(points):
        x_mid = left + slot * (n + 0.5)
        y = top + plot_h - plot_h * value / top_value
        tip = f"<title>{text(label)}: {text(value)}</title>"
        if style == "bar":
            bar_w = max(slot * 0.7, 1.0)
            marks.append(
                f'<rect class="chart__bar" x="{_num(x_mid - bar_w / 2)}" y="{_num(y)}" '
                f'width="{_num(bar_w)}" height="{_num(top + plot_h - y)}" fill="{_BAR_FILL}">'
                f"{tip}</rect>"
            )
        else:
            line.append(f"{_num(x_mid)},{_num(y)}")
            marks.append(
                f'<circle class="chart__point" cx="{_num(x_mid)}" cy="{_num(y)}" r="3" '
                f'fill="{_BAR_FILL}">{tip}</circle>'
            )
        if count <= 31 and value:
            marks.append(
                f'<text x="{_num(x_mid)}" y="{_num(y - 5)}" text-anchor="middle" font-size="10" '
                f'fill="currentColor">{text(value)}</text>'
            )
        if n % every == 0 or n == count - 1:
            marks.append(
                f'<text x="{_num(x_mid)}" y="{height - bottom + 16}" text-anchor="middle" '
                f'font-size="11" fill="currentColor">{text(_axis_label(label))}</text>'
            )
    if line:
        parts.append(
            f'<polyline points="{" ".join(line)}" fill="none" stroke="{_BAR_FILL}" '
            'stroke-width="2"/>'
        )
    parts += marks
    if not points:
        parts.append(
            f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" font-size="12" '
            'fill="currentColor">—</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def funnel_chart(
    chart_id: str,
    title: str,
    desc: str,
    stages: Sequence[tuple[str, int]],
    *,
    width: int = WIDTH,
) -> str:
    """A horizontal funnel: one bar per ``(stage label, learners)``, its length relative to
    the largest stage, labelled with the stage's name, its number and its share of the first
    stage."""
    row_h, gap, top = 28, 8, 8
    label_w, value_w = 220, 110
    height = top * 2 + len(stages) * (row_h + gap)
    bar_space = width - label_w - value_w
    largest = max((learners for _, learners in stages), default=0) or 1
    first = stages[0][1] if stages else 0
    parts = _open(chart_id, title, desc, width, height)
    for n, (label, learners) in enumerate(stages):
        y = top + n * (row_h + gap)
        share = f"{round(100 * learners / first)}%" if first else "—"
        bar_w = bar_space * learners / largest
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row_h // 2 + 4}" text-anchor="end" font-size="12" '
            f'fill="currentColor">{text(_short(label))}</text>'
        )
        parts.append(
            f'<rect class="chart__bar" x="{label_w}" y="{y}" width="{_num(max(bar_w, 1.0))}" '
            f'height="{row_h}" fill="{_FUNNEL_FILL}">'
            f"<title>{text(label)}: {text(learners)} ({text(share)})</title></rect>"
        )
        parts.append(
            f'<text x="{_num(label_w + max(bar_w, 1.0) + 6)}" y="{y + row_h // 2 + 4}" '
            f'font-size="12" fill="currentColor">{text(learners)} ({text(share)})</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
