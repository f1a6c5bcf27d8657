"""Queries on endorsements and on the things that can be endorsed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from app.models import Achievement, Endorsement, Program


def add(session: Session, endorsement: Endorsement) -> None:
    """Stage a new endorsement (flushed with the transaction)."""
    session.add(endorsement)


def get(session: Session, endorsement_id: uuid.UUID) -> Endorsement | None:
    """An endorsement by id."""
    return session.get(Endorsement, endorsement_id)


def _for_target(target: str) -> ColumnElement[bool]:
    return or_(Endorsement.subject_uri == target, Endorsement.target_id == target)


def targets_of(session: Session, target: str) -> Sequence[tuple[str, str]]:
    """The distinct ``(target_type, target_id)`` of the endorsements of ``target``."""
    stmt = select(Endorsement.target_type, Endorsement.target_id).where(_for_target(target))
    return [(row[0], row[1]) for row in session.execute(stmt.distinct())]


def list_for_target(
    session: Session,
    target: str,
    *,
    limit: int,
    viewer: uuid.UUID | None = None,
    owned: Sequence[tuple[str, str]] = (),
) -> Sequence[Endorsement]:
    """Endorsements whose subject is ``target`` (a public id) or whose target id is ``target``:
    the accepted ones, and the undecided or declined ones that ``viewer`` wrote or whose
    target is one of the ``owned`` ``(target_type, target_id)`` (filtered before the limit)."""
    visible: list[ColumnElement[bool]] = [Endorsement.accepted_at.is_not(None)]
    if viewer is not None:
        visible.append(Endorsement.issuer_id == viewer)
    visible += [
        and_(Endorsement.target_type == kind, Endorsement.target_id == ident)
        for kind, ident in owned
    ]
    stmt = (
        select(Endorsement)
        .where(_for_target(target), or_(*visible))
        .order_by(Endorsement.created_at, Endorsement.id)
        .limit(limit)
    )
    return session.scalars(stmt).all()


def list_accepted_for_subject(session: Session, subject_uri: str) -> Sequence[Endorsement]:
    """The owner-accepted endorsements of one public id, oldest first (what gets embedded)."""
    stmt = (
        select(Endorsement)
        .where(Endorsement.subject_uri == subject_uri, Endorsement.accepted_at.is_not(None))
        .order_by(Endorsement.created_at, Endorsement.id)
    )
    return session.scalars(stmt).all()


def list_group(
    session: Session, group_id: uuid.UUID, *, for_update: bool = False
) -> Sequence[Endorsement]:
    """The language versions of one endorsement request (decided on together).

    ``for_update`` locks them and reloads their state, so a decision sees the latest one.
    """
    stmt = select(Endorsement).where(Endorsement.group_id == group_id).order_by(Endorsement.id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalars(stmt).all()


def program_lineage(session: Session, program_id: uuid.UUID) -> uuid.UUID | None:
    """The achievement lineage a program is endorsed through, or None (no such program)."""
    program = session.get(Program, program_id)
    return program.achievement_lineage_id if program is not None else None


def current_achievement(session: Session, lineage_id: uuid.UUID) -> Achievement | None:
    """The current version of an achievement lineage."""
    stmt = select(Achievement).where(
        Achievement.lineage_id == lineage_id, Achievement.is_current.is_(True)
    )
    return session.scalars(stmt).first()
