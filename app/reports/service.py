"""Reports of one issuer: what happened to its credentials over a period, and program funnels.

A report covers the issuer's credentials, or those of one achievement (every version of its
lineage) or one program (its modules in every language, and the program's own award), over a
period ``[from, to)`` of whole UTC days:

* ``issued``: credentials created (wallet copies are not new issuances);
* ``claimed``: credentials first taken into a wallet through a claim link (an offer's
  ``claimed_at``; a credential counts once, on its first claim);
* ``viewed``, ``verified``, ``shared_linkedin``: the usage counters (:mod:`.counters`), up to
  their last flush (seconds behind the pages);
* ``revoked``: credentials revoked.

The funnel of a program follows its learners: enrolled (a progress row, made when a learner's
first module credential is issued) → holding an unrevoked credential of each module (in
program order) → completed (awarded the program credential).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from app.core.context import context_of
from app.core.errors import Unprocessable
from app.models import Program
from app.programs import service as programs
from app.reports import repository

METRICS = ("issued", "claimed", "viewed", "verified", "shared_linkedin", "revoked")
"""The columns of a summary, in display order."""
_USAGE_METRIC = {"view": "viewed", "verify": "verified", "linkedin": "shared_linkedin"}

MAX_DAYS = 366
"""The longest period one report covers (a year, leap day included)."""
DEFAULT_DAYS = 30
"""The period when none is given: the last 30 UTC days, today included."""


@dataclass(frozen=True, slots=True)
class Period:
    """Whole UTC days from ``start`` (included) to ``end`` (excluded)."""

    start: date
    end: date

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days)]

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, time(), tzinfo=UTC)


def parse_period(start: str | None, end: str | None, *, today: date | None = None) -> Period:
    """The period of ``from``/``to`` query values (``YYYY-MM-DD``); 422 naming the field.

    Without ``to``: up to and including today (UTC); without ``from``: :data:`DEFAULT_DAYS`
    days before ``to``. ``from`` must be before ``to``, at most :data:`MAX_DAYS` days apart.
    """
    today = today or datetime.now(UTC).date()
    end_day = _date(end, "query.to") if end else today + timedelta(days=1)
    start_day = _date(start, "query.from") if start else end_day - timedelta(days=DEFAULT_DAYS)
    if start_day >= end_day:
        raise Unprocessable(
            "`to` must be after `from` (the period is [from, to): `to` is excluded).",
            field="query.to",
        )
    if (end_day - start_day).days > MAX_DAYS:
        raise Unprocessable(
            f"A report covers at most {MAX_DAYS} days; shorten the period.", field="query.to"
        )
    return Period(start_day, end_day)


def _date(value: str, field: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise Unprocessable(f"Not a date: give YYYY-MM-DD ({value[:20]!r}).", field=field) from None


@dataclass(frozen=True, slots=True)
class Scope:
    """What a report covers: all the issuer's credentials, one achievement lineage, or one
    program. ``versions`` is None for all, else a subquery of achievement version ids."""

    achievement_id: uuid.UUID | None = None
    program_id: uuid.UUID | None = None
    versions: Select[Any] | None = None


def scope_of(
    session: Session,
    issuer_id: uuid.UUID,
    *,
    achievement_id: uuid.UUID | None = None,
    program_id: uuid.UUID | None = None,
) -> Scope:
    """The scope of a report; another issuer's (or no) achievement or program is a 422 naming
    its query parameter, as the batch template does for ``achievementId``."""
    if achievement_id is not None and program_id is not None:
        raise Unprocessable("Give achievementId or programId, not both.", field="query.programId")
    if achievement_id is not None:
        if not repository.lineage_exists(session, issuer_id, achievement_id):
            raise Unprocessable("No such achievement for this issuer.", field="query.achievementId")
        return Scope(achievement_id, None, repository.versions_of(issuer_id, [achievement_id]))
    if program_id is not None:
        program = _program(session, issuer_id, program_id, field="query.programId")
        return Scope(
            None, program_id, repository.versions_of(issuer_id, program_lineages(session, program))
        )
    return Scope()


def _program(
    session: Session, issuer_id: uuid.UUID, program_id: uuid.UUID, *, field: str | None
) -> Program:
    """The issuer's program; 422 naming ``field`` when one is given, else 404."""
    try:
        return programs.get_program(session, issuer_id, program_id)
    except programs.ProgramNotFound:
        if field is None:
            raise
        raise Unprocessable("No such program for this issuer.", field=field) from None


def program_lineages(session: Session, program: Program) -> set[uuid.UUID]:
    """Every achievement lineage of a program: its modules in every language, and its award."""
    modules = programs.module_lineages(session, program)
    aliases = programs.module_aliases(session, context_of(session), modules)
    awards = {
        uuid.UUID(str(t["achievement_lineage_id"]))
        for t in program.translations.values()
        if isinstance(t, dict) and t.get("achievement_lineage_id")
    }
    return {*aliases, program.achievement_lineage_id, *awards}


@dataclass(frozen=True, slots=True)
class DayCounts:
    """One row of the per-day series."""

    day: date
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class Summary:
    """A report: the totals over the period and the series, one row per day (zeros kept)."""

    issuer_id: uuid.UUID
    period: Period
    scope: Scope
    totals: dict[str, int]
    series: list[DayCounts]

    def points(self, metric: str) -> list[tuple[str, int]]:
        """``(YYYY-MM-DD, value)`` per day of one metric (for :func:`.charts.daily_chart`)."""
        return [(row.day.isoformat(), row.counts[metric]) for row in self.series]


def summary(session: Session, issuer_id: uuid.UUID, period: Period, scope: Scope) -> Summary:
    """The issuer's report over ``period`` in ``scope``."""
    versions = scope.versions
    start, end = period.start_at, period.end_at
    per_metric: dict[str, dict[date, int]] = {
        "issued": repository.issued_per_day(session, issuer_id, start, end, versions),
        "claimed": repository.claimed_per_day(session, issuer_id, start, end, versions),
        "revoked": repository.revoked_per_day(session, issuer_id, start, end, versions),
        **{metric: {} for metric in _USAGE_METRIC.values()},
    }
    usage = repository.usage_per_day(session, issuer_id, period.start, period.end, versions)
    for (day, kind), total in usage.items():
        metric = _USAGE_METRIC.get(kind)
        if metric is not None:
            per_metric[metric][day] = per_metric[metric].get(day, 0) + total
    series = [
        DayCounts(day, {metric: per_metric[metric].get(day, 0) for metric in METRICS})
        for day in period.days
    ]
    totals = {metric: sum(row.counts[metric] for row in series) for metric in METRICS}
    return Summary(issuer_id, period, scope, totals, series)


@dataclass(frozen=True, slots=True)
class Stage:
    """One step of a funnel: ``enrolled``, a module (its lineage id and current name) or
    ``completed``, with how many learners reached it."""

    key: str
    label: str
    learners: int
    achievement_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Funnel:
    program_id: uuid.UUID
    name: dict[str, str]
    period: Period | None
    stages: list[Stage]


def funnel(
    session: Session, issuer_id: uuid.UUID, program_id: uuid.UUID, period: Period | None = None
) -> Funnel:
    """The program's completion funnel (404 for another issuer's program); with ``period``,
    only the learners who enrolled in it (a cohort)."""
    program = _program(session, issuer_id, program_id, field=None)
    start = period.start_at if period else None
    end = period.end_at if period else None
    modules = programs.module_lineages(session, program)
    aliases = programs.module_aliases(session, context_of(session), modules)
    names = repository.current_names(session, issuer_id, modules)
    stages = [
        Stage("enrolled", "enrolled", repository.enrolled_count(session, program.id, start, end))
    ]
    for module in modules:
        lineages = [alias for alias, of in aliases.items() if of == module]
        held = repository.module_holders(session, issuer_id, program.id, lineages, start, end)
        stages.append(Stage("module", names.get(module, str(module)), held, module))
    stages.append(
        Stage("completed", "completed", repository.completed_count(session, program.id, start, end))
    )
    name = {
        tag: str(text["name"])
        for tag, text in program.translations.items()
        if isinstance(text, dict) and text.get("name")
    }
    return Funnel(program.id, name, period, stages)
