"""Queries of the reports: the adding upsert of usage counts, and counts per UTC day.

Every query is filtered by ``issuer_id`` first (a tenant's report never reads another's rows),
then, for a report of one achievement or program, by the achievement versions in scope
(:func:`versions_of`, itself limited to the issuer's achievements).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.core.db import READ_ONLY
from app.models import Achievement, Credential, Offer, ProgramLearner
from app.models.usage import UsageCount

UPSERT_CHUNK = 500
"""Rows per upsert statement (5 parameters a row: well under SQLite's and psycopg's limits)."""


# --- writing usage counts ---------------------------------------------------------------------


def add_usage(
    session: Session, rows: Sequence[tuple[uuid.UUID, uuid.UUID, date, str, int]]
) -> None:
    """Add ``(issuer_id, achievement_id, day, kind, count)`` rows to their counters (no commit).

    ``INSERT … ON CONFLICT DO UPDATE SET count = count + excluded.count``: a new key is
    inserted, an existing one grows, in one statement per chunk on both databases. Rows go in
    key order, so two workers adding overlapping keys lock them in the same order (no
    deadlock on PostgreSQL).
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    ordered = sorted(rows, key=lambda row: (str(row[0]), str(row[1]), row[2], row[3]))
    for start in range(0, len(ordered), UPSERT_CHUNK):
        values = [
            {"issuer_id": i, "achievement_id": a, "day": d, "kind": k, "count": n}
            for i, a, d, k, n in ordered[start : start + UPSERT_CHUNK]
        ]
        stmt = insert(UsageCount).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["issuer_id", "achievement_id", "day", "kind"],
            set_={"count": UsageCount.count + stmt.excluded.count},
        )
        session.execute(stmt)


# --- reading ----------------------------------------------------------------------------------


def _read(session: Session) -> None:
    """Begin a read-only unit of work (SQLite: no write lock) unless one is open."""
    if not session.in_transaction():
        session.connection(execution_options=READ_ONLY)


def versions_of(issuer_id: uuid.UUID, lineages: Iterable[uuid.UUID]) -> Select[Any]:
    """The issuer's achievement version ids of ``lineages`` (a subquery)."""
    return select(Achievement.id).where(
        Achievement.issuer_id == issuer_id, Achievement.lineage_id.in_(list(lineages))
    )


def lineage_exists(session: Session, issuer_id: uuid.UUID, lineage: uuid.UUID) -> bool:
    """Whether ``lineage`` is one of the issuer's achievements."""
    _read(session)
    stmt = select(
        exists().where(Achievement.issuer_id == issuer_id, Achievement.lineage_id == lineage)
    )
    return bool(session.scalar(stmt))


def current_names(
    session: Session, issuer_id: uuid.UUID, lineages: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The current name of each of the issuer's ``lineages``."""
    _read(session)
    stmt = select(Achievement.lineage_id, Achievement.name).where(
        Achievement.issuer_id == issuer_id,
        Achievement.lineage_id.in_(list(lineages)),
        Achievement.is_current.is_(True),
    )
    return {row[0]: row[1] for row in session.execute(stmt)}


def _day(session: Session, column: Any) -> ColumnElement[Any]:
    """The UTC day of a timestamp column, in SQL (PostgreSQL: a date; SQLite: ``YYYY-MM-DD``,
    the stored text being UTC already)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _per_day(session: Session, stmt: Select[Any]) -> dict[date, int]:
    _read(session)
    return {_as_date(day): int(count) for day, count in session.execute(stmt)}


def _credentials_per_day(
    session: Session,
    column: Any,
    issuer_id: uuid.UUID,
    start: datetime,
    end: datetime,
    versions: Select[Any] | None,
) -> dict[date, int]:
    day = _day(session, column)
    stmt = (
        select(day, func.count())
        .where(
            Credential.issuer_id == issuer_id,
            Credential.bound_from_id.is_(None),  # a wallet's copy is not another issuance
            column >= start,
            column < end,
        )
        .group_by(day)
    )
    if versions is not None:
        stmt = stmt.where(Credential.achievement_id.in_(versions))
    return _per_day(session, stmt)


def issued_per_day(
    session: Session,
    issuer_id: uuid.UUID,
    start: datetime,
    end: datetime,
    versions: Select[Any] | None,
) -> dict[date, int]:
    """Credentials issued (``created_at``) per UTC day; wallet copies are not counted."""
    return _credentials_per_day(session, Credential.created_at, issuer_id, start, end, versions)


def revoked_per_day(
    session: Session,
    issuer_id: uuid.UUID,
    start: datetime,
    end: datetime,
    versions: Select[Any] | None,
) -> dict[date, int]:
    """Credentials revoked (``revoked_at``) per UTC day; wallet copies follow their original
    and are not counted again."""
    return _credentials_per_day(session, Credential.revoked_at, issuer_id, start, end, versions)


def claimed_per_day(
    session: Session,
    issuer_id: uuid.UUID,
    start: datetime,
    end: datetime,
    versions: Select[Any] | None,
) -> dict[date, int]:
    """Credentials first taken into a wallet per UTC day: the earliest ``claimed_at`` of the
    credential's offers (a credential claimed through two offers counts once)."""
    first = (
        select(Offer.credential_id, func.min(Offer.claimed_at).label("first"))
        .where(Offer.issuer_id == issuer_id, Offer.claimed_at.is_not(None))
        .group_by(Offer.credential_id)
        .subquery()
    )
    day = _day(session, first.c.first)
    stmt = (
        select(day, func.count())
        .select_from(first)
        .join(Credential, Credential.id == first.c.credential_id)
        .where(Credential.issuer_id == issuer_id, first.c.first >= start, first.c.first < end)
        .group_by(day)
    )
    if versions is not None:
        stmt = stmt.where(Credential.achievement_id.in_(versions))
    return _per_day(session, stmt)


def usage_per_day(
    session: Session,
    issuer_id: uuid.UUID,
    start: date,
    end: date,
    versions: Select[Any] | None,
) -> dict[tuple[date, str], int]:
    """Flushed usage counts per (UTC day, kind)."""
    stmt = (
        select(UsageCount.day, UsageCount.kind, func.sum(UsageCount.count))
        .where(UsageCount.issuer_id == issuer_id, UsageCount.day >= start, UsageCount.day < end)
        .group_by(UsageCount.day, UsageCount.kind)
    )
    if versions is not None:
        stmt = stmt.where(UsageCount.achievement_id.in_(versions))
    _read(session)
    return {(_as_date(day), kind): int(total) for day, kind, total in session.execute(stmt)}


# --- the program funnel -----------------------------------------------------------------------


def _enrolled(
    program_id: uuid.UUID, enrolled_from: datetime | None, enrolled_to: datetime | None
) -> list[ColumnElement[bool]]:
    where = [ProgramLearner.program_id == program_id]
    if enrolled_from is not None:
        where.append(ProgramLearner.created_at >= enrolled_from)
    if enrolled_to is not None:
        where.append(ProgramLearner.created_at < enrolled_to)
    return where


def enrolled_count(
    session: Session,
    program_id: uuid.UUID,
    enrolled_from: datetime | None,
    enrolled_to: datetime | None,
) -> int:
    """Learners with a progress row in the program (made when their first module credential
    is issued), enrolled in the window when one is given."""
    _read(session)
    stmt = select(func.count()).where(*_enrolled(program_id, enrolled_from, enrolled_to))
    return int(session.scalar(stmt.select_from(ProgramLearner)) or 0)


def completed_count(
    session: Session,
    program_id: uuid.UUID,
    enrolled_from: datetime | None,
    enrolled_to: datetime | None,
) -> int:
    """Learners awarded the program credential."""
    _read(session)
    stmt = select(func.count()).where(
        *_enrolled(program_id, enrolled_from, enrolled_to),
        ProgramLearner.credential_id.is_not(None),
    )
    return int(session.scalar(stmt.select_from(ProgramLearner)) or 0)


def module_holders(
    session: Session,
    issuer_id: uuid.UUID,
    program_id: uuid.UUID,
    lineages: Iterable[uuid.UUID],
    enrolled_from: datetime | None,
    enrolled_to: datetime | None,
) -> int:
    """Enrolled learners holding an unrevoked credential of the issuer's ``lineages`` (one
    module's language versions)."""
    holds = exists().where(
        Credential.issuer_id == issuer_id,
        Credential.bound_from_id.is_(None),
        Credential.revoked_at.is_(None),
        Credential.achievement_id.in_(versions_of(issuer_id, lineages)),
        or_(
            Credential.recipient_email == ProgramLearner.learner,
            and_(
                Credential.recipient_did.is_not(None),
                Credential.recipient_did == ProgramLearner.learner,
            ),
        ),
    )
    stmt = select(func.count()).where(*_enrolled(program_id, enrolled_from, enrolled_to), holds)
    _read(session)
    return int(session.scalar(stmt.select_from(ProgramLearner)) or 0)
