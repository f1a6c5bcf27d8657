"""The console's reports page, decided: the form (period, scope, cohort) read from the query
with an error per field, the choices of scope (the issuer's own achievements and programs),
and the report, its charts and its funnel, all through :mod:`app.reports.service`.

The page speaks in whole UTC days, both included (``from`` … ``until``), as people read a
period; the service's ``[from, to)`` is ``until`` + 1 day. The same limits hold: ``from`` on
or before ``until``, at most :data:`app.reports.service.MAX_DAYS` days.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import Unprocessable
from app.models import Achievement, Program
from app.programs import service as programs
from app.reports import charts, service
from app.web.i18n import Translator

PRESETS = (7, 30, 90)
"""The period links: the last n UTC days, today included."""
FIELDS = ("from", "until", "scope", "cohort")
"""The page's query parameters (the CSV links carry the same)."""
LINE_AFTER = 92
"""Longer periods are drawn as lines: a bar per day would be thinner than a pixel or two."""


@dataclass
class ReportForm:
    """The query as the form shows it again, the errors per field (message keys), and what it
    means when there are none."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    period: service.Period | None = None
    achievement_id: uuid.UUID | None = None
    program_id: uuid.UUID | None = None
    cohort: bool = False

    @property
    def query(self) -> str:
        """The query string of this form (for the CSV links and the presets)."""
        return urlencode({k: v for k, v in self.values.items() if v})


def _day(value: str) -> date | None:
    if len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_form(query: Mapping[str, str], today: date) -> ReportForm:
    """The form of ``query``; defaults: the last 30 days (today included), the whole issuer."""
    values = {name: str(query.get(name, ""))[:80].strip() for name in FIELDS}
    form = ReportForm(values)
    form.cohort = values["cohort"] == "1"
    if not form.cohort:
        values["cohort"] = ""
    until = today
    if values["until"]:
        until = _day(values["until"]) or today
        if _day(values["until"]) is None:
            form.errors["until"] = "date"
    start = until - timedelta(days=service.DEFAULT_DAYS - 1)
    if values["from"]:
        start = _day(values["from"]) or start
        if _day(values["from"]) is None:
            form.errors["from"] = "date"
    if not form.errors:
        if start > until:
            form.errors["until"] = "order"
        elif (until - start).days + 1 > service.MAX_DAYS:
            form.errors["until"] = "long"
    if not form.errors:
        values["from"], values["until"] = start.isoformat(), until.isoformat()
        form.period = service.Period(start, until + timedelta(days=1))
    kind, _, raw = values["scope"].partition(":")
    if values["scope"]:
        try:
            chosen = uuid.UUID(raw)
        except ValueError:
            form.errors["scope"] = "unknown"
        else:
            if kind == "achievement":
                form.achievement_id = chosen
            elif kind == "program":
                form.program_id = chosen
            else:
                form.errors["scope"] = "unknown"
    return form


def scope_of(session: Session, issuer_id: uuid.UUID, form: ReportForm) -> service.Scope | None:
    """The service's scope of the form, or None with the error set (another issuer's or no
    such achievement or program: the same answer as an unknown id)."""
    if "scope" in form.errors:
        return None
    try:
        return service.scope_of(
            session, issuer_id, achievement_id=form.achievement_id, program_id=form.program_id
        )
    except Unprocessable:
        form.errors["scope"] = "unknown"
        return None


def presets(form: ReportForm, today: date) -> list[tuple[int, str, bool]]:
    """``(days, href query, current)`` of each period link, keeping the scope."""
    found = []
    for days in PRESETS:
        start = today - timedelta(days=days - 1)
        values = {
            **form.values,
            "from": start.isoformat(),
            "until": today.isoformat(),
        }
        current = form.values["from"] == values["from"] and form.values["until"] == values["until"]
        found.append((days, urlencode({k: v for k, v in values.items() if v}), current))
    return found


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def achievement_choices(session: Session, issuer_id: uuid.UUID) -> list[Choice]:
    """The issuer's achievements (current version's name), by name."""
    rows = session.execute(
        select(Achievement.lineage_id, Achievement.name).where(
            Achievement.issuer_id == issuer_id, Achievement.is_current.is_(True)
        )
    ).all()
    return sorted(
        (Choice(f"achievement:{lineage}", name) for lineage, name in rows),
        key=lambda c: (c.label.casefold(), c.value),
    )


def program_name(program: Program, locale: str) -> str:
    """The program's name in ``locale``, else its default language's, else any."""
    translations = program.translations or {}
    for tag in (locale, program.default_language, *translations):
        text = translations.get(tag)
        if isinstance(text, dict) and text.get("name"):
            return str(text["name"])
    return str(program.id)


def program_choices(session: Session, issuer_id: uuid.UUID, locale: str) -> list[Choice]:
    """The issuer's programs, by name in ``locale``."""
    return sorted(
        (
            Choice(f"program:{p.id}", program_name(p, locale))
            for p in programs.list_programs(session, issuer_id)
        ),
        key=lambda c: (c.label.casefold(), c.value),
    )


@dataclass(frozen=True)
class Chart:
    metric: str
    label: str
    svg: str


def daily_charts(summary: service.Summary, t: Translator) -> list[Chart]:
    """One chart per metric, titled and described in the page's language."""
    period = summary.period
    last = period.end - timedelta(days=1)
    style = "line" if len(period.days) > LINE_AFTER else "bar"
    found = []
    for metric in service.METRICS:
        label = t(f"console.reports.metric.{metric}")
        title = t(
            "console.reports.chart.title",
            metric=label,
            start=period.start.isoformat(),
            end=last.isoformat(),
        )
        desc = t(
            "console.reports.chart.desc",
            metric=label,
            total=summary.totals[metric],
            days=len(period.days),
        )
        svg = charts.daily_chart(
            f"chart-{metric}", title, desc, summary.points(metric), style=style
        )
        found.append(Chart(metric, label, svg))
    return found


@dataclass(frozen=True)
class FunnelRow:
    key: str
    label: str
    learners: int
    share: str


def funnel_rows(funnel: service.Funnel, t: Translator) -> list[FunnelRow]:
    """The funnel's stages, labelled in the page's language, with their share of enrolled."""
    first = funnel.stages[0].learners if funnel.stages else 0
    rows = []
    for stage in funnel.stages:
        label = stage.label if stage.key == "module" else t(f"console.reports.stage.{stage.key}")
        share = f"{round(100 * stage.learners / first)}%" if first else "—"
        rows.append(FunnelRow(stage.key, label, stage.learners, share))
    return rows


def funnel_chart(rows: list[FunnelRow], name: str, t: Translator) -> str:
    """The funnel's chart, titled with the program's name in the page's language."""
    return charts.funnel_chart(
        "chart-funnel",
        t("console.reports.funnel.chart_title", program=name),
        t("console.reports.funnel.chart_desc", modules=max(len(rows) - 2, 0)),
        [(row.label, row.learners) for row in rows],
    )
