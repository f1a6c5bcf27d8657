"""The reports' SVG charts (accessible, escaped, deterministic) and CSV exports (formula
injection neutralised)."""

from __future__ import annotations

import csv
import io
import uuid
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from app.reports import charts, exports
from app.reports.service import METRICS, DayCounts, Funnel, Period, Scope, Stage, Summary

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "</text><script>alert(\"x\")</script><text a='1'>&amp; \x00\x07 名称"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def child(node: ET.Element, tag: str) -> ET.Element:
    found = node.find(f"{SVG}{tag}")
    assert found is not None, tag
    return found


def texts(root: ET.Element) -> list[str]:
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def days(n: int) -> list[tuple[str, int]]:
    start = date(2026, 11, 1)
    return [((start + timedelta(days=i)).isoformat(), (i * 7) % 5) for i in range(n)]


@pytest.mark.parametrize("style", ["bar", "line"])
@pytest.mark.parametrize("n", [0, 1, 7, 30, 366])
def test_a_daily_chart_is_an_accessible_svg(style: str, n: int) -> None:
    svg = charts.daily_chart(
        "views", "Page views", "Views per day, 1–30 November", days(n), style=style
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "views-title views-desc"
    assert child(root, "title").text == "Page views"
    assert child(root, "title").get("id") == "views-title"
    assert child(root, "desc").text == "Views per day, 1–30 November"
    marks = list(root.iter(f"{SVG}rect" if style == "bar" else f"{SVG}circle"))
    assert len(marks) == n
    # every mark says its day and value in words, not by colour alone
    assert [child(m, "title").text for m in marks] == [f"{day}: {value}" for day, value in days(n)]
    if 0 < n <= 10:
        assert [t for t in texts(root) if "-" in t] == [d[5:] for d, _ in days(n)]


def test_labels_and_titles_are_escaped() -> None:
    svg = charts.daily_chart(HOSTILE, HOSTILE, HOSTILE, [(HOSTILE, 3)])
    root = parse(svg)  # still well-formed XML
    assert not list(root.iter(f"{SVG}script"))
    assert "<script>" not in svg
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == HOSTILE.replace("\x00", "").replace("\x07", "")
    assert root.get("aria-labelledby", "").split() == [
        f"{charts._ID.sub('-', HOSTILE)}-title",
        f"{charts._ID.sub('-', HOSTILE)}-desc",
    ]
    funnel = charts.funnel_chart("f", "Funnel", HOSTILE, [(HOSTILE, 4), ("done", 1)])
    root = parse(funnel)
    assert not list(root.iter(f"{SVG}script"))
    bar_titles = [child(r, "title").text or "" for r in root.iter(f"{SVG}rect")]
    assert bar_titles[1] == "done: 1 (25%)"
    assert bar_titles[0].startswith("</text><script>")


def test_a_funnel_chart_labels_each_stage_with_its_number_and_share() -> None:
    stages = [("Enrolled", 40), ("Module 1", 30), ("Module 2", 0), ("Completed", 10)]
    root = parse(charts.funnel_chart("funnel", "Completion", "Learners per stage", stages))
    assert root.get("role") == "img"
    shown = texts(root)
    for label, learners in stages:
        assert label in shown
        share = f"{round(100 * learners / 40)}%"
        assert f"{learners} ({share})" in shown
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == max(widths)
    assert widths[2] == 1.0  # an empty stage is still drawn as a sliver


def test_charts_are_deterministic() -> None:
    points = days(30)
    assert charts.daily_chart("a", "T", "D", points) == charts.daily_chart("a", "T", "D", points)
    assert charts.funnel_chart("f", "T", "D", [("a", 3), ("b", 2)]) == charts.funnel_chart(
        "f", "T", "D", [("a", 3), ("b", 2)]
    )
    assert charts.daily_chart("a", "T", "D", [("2026-12-01", 3), ("2026-12-02", 7)]) == (
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 640 240" '
        'width="640" height="240" role="img" aria-labelledby="a-title a-desc">\n'
        '<title id="a-title">T</title>\n'
        '<desc id="a-desc">D</desc>\n'
        '<line x1="48" y1="204" x2="628" y2="204" stroke="#c8ccd2" stroke-width="1"/>\n'
        '<text x="42" y="208" text-anchor="end" font-size="11" fill="currentColor">0</text>\n'
        '<line x1="48" y1="108" x2="628" y2="108" stroke="#c8ccd2" stroke-width="1"/>\n'
        '<text x="42" y="112" text-anchor="end" font-size="11" fill="currentColor">5</text>\n'
        '<line x1="48" y1="12" x2="628" y2="12" stroke="#c8ccd2" stroke-width="1"/>\n'
        '<text x="42" y="16" text-anchor="end" font-size="11" fill="currentColor">10</text>\n'
        '<rect class="chart__bar" x="91.5" y="146.4" width="203" height="57.6" fill="#1f5f99">'
        "<title>2026-12-01: 3</title></rect>\n"
        '<text x="193" y="141.4" text-anchor="middle" font-size="10" fill="currentColor">3</text>\n'
        '<text x="193" y="220" text-anchor="middle" font-size="11" fill="currentColor">12-01'
        "</text>\n"
        '<rect class="chart__bar" x="381.5" y="69.6" width="203" height="134.4" fill="#1f5f99">'
        "<title>2026-12-02: 7</title></rect>\n"
        '<text x="483" y="64.6" text-anchor="middle" font-size="10" fill="currentColor">7</text>\n'
        '<text x="483" y="220" text-anchor="middle" font-size="11" fill="currentColor">12-02'
        "</text>\n"
        "</svg>"
    )


def _read(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ('=HYPERLINK("https://evil.example","x")', '\'=HYPERLINK("https://evil.example","x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ('Data, "quoted"\nnew line 数据', 'Data, "quoted"\nnew line 数据'),
    ],
)
def test_funnel_csv_neutralises_formulas(name: str, cell: str) -> None:
    module = uuid.uuid4()
    funnel = Funnel(
        uuid.uuid4(),
        {"en": "P"},
        None,
        [
            Stage("enrolled", "enrolled", 3),
            Stage("module", name, 2, module),
            Stage("completed", "completed", 1),
        ],
    )
    assert _read(exports.funnel_csv(funnel)) == [
        ["stage", "achievement_id", "name", "learners"],
        ["enrolled", "", "", "3"],
        ["module", str(module), cell, "2"],
        ["completed", "", "", "1"],
    ]


def test_summary_csv_rows_and_total() -> None:
    period = Period(date(2026, 12, 1), date(2026, 12, 3))
    series = [
        DayCounts(date(2026, 12, 1), dict(zip(METRICS, (1, 2, 3, 4, 5, 6), strict=True))),
        DayCounts(date(2026, 12, 2), dict(zip(METRICS, (0, 0, 10, 0, 0, 1), strict=True))),
    ]
    totals = {m: sum(d.counts[m] for d in series) for m in METRICS}
    table = _read(exports.summary_csv(Summary(uuid.uuid4(), period, Scope(), totals, series)))
    assert table == [
        ["day", *METRICS],
        ["2026-12-01", "1", "2", "3", "4", "5", "6"],
        ["2026-12-02", "0", "0", "10", "0", "0", "1"],
        ["total", "1", "2", "13", "4", "5", "7"],
    ]
