"""Queries on achievements."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import bindparam, exists, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached

from app.models import Achievement, Credential


def current(
    session: Session,
    issuer_id: uuid.UUID,
    lineage_id: uuid.UUID,
    *,
    for_update: bool = False,
    for_share: bool = False,
) -> Achievement | None:
    """The current version of an achievement of this issuer.

    ``for_update`` (editing) and ``for_share`` (issuing) take PostgreSQL's row locks, which
    conflict with each other: an edit waits for an issuance in progress and the other way
    round. SQLite serialises writers anyway and renders neither.
    """
    stmt = select(Achievement).where(
        Achievement.lineage_id == lineage_id,
        Achievement.issuer_id == issuer_id,
        Achievement.is_current.is_(True),
    )
    if for_update or for_share:
        stmt = stmt.with_for_update(read=not for_update).execution_options(populate_existing=True)
    return session.scalars(stmt).first()


_CURRENT_ID = select(Achievement.id).where(
    Achievement.lineage_id == bindparam("lineage_id"),
    Achievement.issuer_id == bindparam("issuer_id"),
    Achievement.is_current.is_(True),
)


def current_id(session: Session, issuer_id: uuid.UUID, lineage_id: uuid.UUID) -> uuid.UUID | None:
    """The id of the current version: one column, a prebuilt Core query."""
    found: uuid.UUID | None = session.connection().scalar(
        _CURRENT_ID, {"lineage_id": lineage_id, "issuer_id": issuer_id}
    )
    return found


def detached_copy(row: Achievement) -> Achievement:
    """A copy of ``row`` bound to no session, to share across sessions via ``attach``.

    The loaded row itself cannot be shared: a rollback of its session expires it.
    """
    columns = {attr.key: getattr(row, attr.key) for attr in inspect(Achievement).column_attrs}
    copy = Achievement(**columns)
    make_transient_to_detached(copy)
    return copy


def attach(session: Session, copy: Achievement) -> Achievement:
    """This session's instance of a :func:`detached_copy` (no query: the row is as cached)."""
    return session.merge(copy, load=False)


def version(session: Session, lineage_id: uuid.UUID, number: int) -> Achievement | None:
    """One version of an achievement (public lookup)."""
    stmt = select(Achievement).where(
        Achievement.lineage_id == lineage_id, Achievement.version == number
    )
    return session.scalars(stmt).first()


def list_current(
    session: Session, issuer_id: uuid.UUID, *, limit: int, offset: int
) -> Sequence[Achievement]:
    """Current versions of the issuer's achievements, oldest first."""
    stmt = (
        select(Achievement)
        .where(Achievement.issuer_id == issuer_id, Achievement.is_current.is_(True))
        .order_by(Achievement.created_at, Achievement.id)
        .limit(limit)
        .offset(offset)
    )
    return session.scalars(stmt).all()


def has_credentials(session: Session, achievement_id: uuid.UUID) -> bool:
    """True once any credential was issued for this version (it is then frozen)."""
    return bool(session.scalar(select(exists().where(Credential.achievement_id == achievement_id))))
