"""Queries on status lists and allocations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import StatusAllocation, StatusList


def open_list(session: Session, issuer_id: uuid.UUID, purpose: str) -> StatusList | None:
    """The oldest list of the issuer for ``purpose`` that still has room."""
    stmt = (
        select(StatusList)
        .where(
            StatusList.issuer_id == issuer_id,
            StatusList.purpose == purpose,
            StatusList.is_full.is_(False),
        )
        .order_by(StatusList.created_at, StatusList.id)
        .limit(1)
    )
    return session.scalars(stmt).first()


def get_list(
    session: Session, list_id: uuid.UUID, *, for_update: bool = False
) -> StatusList | None:
    """A list by id; ``for_update`` takes its row lock (PostgreSQL) so bit flips serialise."""
    stmt = select(StatusList).where(StatusList.id == list_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalars(stmt).first()


def used_indexes(session: Session, list_id: uuid.UUID) -> set[int]:
    """Every index taken in a list (only read when random probing keeps colliding)."""
    stmt = select(StatusAllocation.index).where(StatusAllocation.list_id == list_id)
    return set(session.scalars(stmt).all())


def allocations_of(session: Session, credential_id: uuid.UUID) -> Sequence[StatusAllocation]:
    """The status entries of a credential."""
    stmt = select(StatusAllocation).where(StatusAllocation.credential_id == credential_id)
    return session.scalars(stmt).all()
