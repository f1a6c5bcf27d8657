"""Queries on status lists and allocations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Connection, Integer, Update, bindparam, select, update
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


def _reserve_statement(dialect: str, *, skip_locked: bool) -> Update:
    """``UPDATE status_lists SET next_position = next_position + :count … RETURNING``.

    Takes positions ``[new - count, min(new, size))`` of an open list; the list is marked full
    by the reservation that reaches its size. With ``skip_locked`` (PostgreSQL) a list whose
    row another transaction holds (a bit flip, an in-transaction reservation, possibly our own
    session's) is skipped instead of waited for: the caller then reserves inside its own
    transaction, where waiting is safe.
    """
    table = StatusList.__table__
    count = bindparam("count", type_=Integer())
    has_room = (table.c.is_full.is_(False), table.c.next_position < table.c.size)
    match = select(table.c.id).where(
        table.c.id == bindparam("list_id", type_=table.c.id.type), *has_room
    )
    if skip_locked and dialect == "postgresql":
        # FOR NO KEY UPDATE, the lock the UPDATE itself takes: FOR UPDATE would also conflict
        # with the FOR KEY SHARE lock every concurrent allocation insert holds on the list row
        # (its foreign key check) until it commits, so under load nearly every reservation
        # found the row "locked" and was skipped.
        match = match.with_for_update(skip_locked=True, key_share=True)
    return (
        update(table)  # type: ignore[arg-type]
        # Room is checked again on the row itself: after waiting for a concurrent reservation
        # PostgreSQL re-evaluates these on the row's new version (the subquery ran before).
        .where(table.c.id == match.scalar_subquery(), *has_room)
        .values(
            next_position=table.c.next_position + count,
            is_full=(table.c.next_position + count) >= table.c.size,
        )
        .returning(table.c.next_position, table.c.size, table.c.permutation_key)
    )


_reserve_statements: dict[tuple[str, bool], Update] = {}


def reserve(
    connection: Connection, list_id: uuid.UUID, count: int, *, skip_locked: bool
) -> tuple[int, int, str] | None:
    """Reserve ``count`` positions of an open list: ``(new next_position, size, key hex)``.

    None when the list is full, unknown (or, with ``skip_locked``, its row is locked). One
    statement; the row lock it takes lasts as long as ``connection``'s transaction (nothing on
    an autocommit connection).
    """
    key = (connection.dialect.name, skip_locked)
    stmt = _reserve_statements.get(key)
    if stmt is None:
        stmt = _reserve_statements[key] = _reserve_statement(key[0], skip_locked=skip_locked)
    row = connection.execute(stmt, {"list_id": list_id, "count": count}).first()
    return None if row is None else (row[0], row[1], row[2])


def is_full(connection: Connection, list_id: uuid.UUID) -> bool:
    """True when trying to reserve in the list again cannot succeed: no position left, or the
    list is not visible here (created by a transaction not yet committed). A plain read: it
    never waits for the row's lock."""
    table = StatusList.__table__
    row = connection.execute(
        select(table.c.is_full, table.c.next_position, table.c.size).where(table.c.id == list_id)
    ).first()
    return row is None or bool(row[0]) or row[1] >= row[2]


def get_list(
    session: Session, list_id: uuid.UUID, *, for_update: bool = False
) -> StatusList | None:
    """A list by id; ``for_update`` takes its row lock (PostgreSQL) so bit flips serialise."""
    stmt = select(StatusList).where(StatusList.id == list_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalars(stmt).first()


def lock_lists(session: Session, list_ids: Sequence[uuid.UUID]) -> Sequence[StatusList]:
    """Lists by id, each row locked (PostgreSQL) in the order of their ids.

    One order for every caller that locks several lists: two bulk changes touching the same
    lists then wait for each other instead of deadlocking.
    """
    stmt = (
        select(StatusList)
        .where(StatusList.id.in_(list_ids))
        .order_by(StatusList.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).all()


def published_document(session: Session, list_id: uuid.UUID) -> str | None:
    """The signed list document alone (the verifier's read: no row, no bitstring column)."""
    return session.scalar(select(StatusList.document).where(StatusList.id == list_id))


def allocations_of(session: Session, credential_id: uuid.UUID) -> Sequence[StatusAllocation]:
    """The status entries of a credential."""
    stmt = select(StatusAllocation).where(StatusAllocation.credential_id == credential_id)
    return session.scalars(stmt).all()


IN_CHUNK = 1_000
"""Ids per ``IN (…)`` list: well under SQLite's bound-parameter limit on every version."""


def allocations_of_many(
    session: Session, credential_ids: Sequence[uuid.UUID]
) -> list[StatusAllocation]:
    """The status entries of many credentials (a bulk status change), a query per chunk."""
    found: list[StatusAllocation] = []
    for start in range(0, len(credential_ids), IN_CHUNK):
        chunk = credential_ids[start : start + IN_CHUNK]
        stmt = select(StatusAllocation).where(StatusAllocation.credential_id.in_(chunk))
        found.extend(session.scalars(stmt))
    return found
