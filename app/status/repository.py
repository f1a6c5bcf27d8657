"""Queries on status lists and allocations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Insert, Integer, bindparam, select, true
from sqlalchemy.dialects import postgresql, sqlite
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


def _allocation_statement(dialect: str) -> Insert:
    """``INSERT … SELECT <the open list> … ON CONFLICT DO NOTHING RETURNING list_id, index``."""
    issuer_id = bindparam("issuer_id", type_=StatusList.issuer_id.type)
    open_list = (
        select(StatusList.id, StatusList.size, StatusList.purpose)
        .where(
            StatusList.issuer_id == issuer_id,
            StatusList.purpose == bindparam("purpose"),
            StatusList.is_full.is_(False),
        )
        .order_by(StatusList.created_at, StatusList.id)
        .limit(1)
        .subquery()
    )
    source = select(
        bindparam("id", type_=StatusAllocation.id.type),
        open_list.c.id,
        bindparam("candidate", type_=Integer()) % open_list.c.size,
        bindparam("credential_id", type_=StatusAllocation.credential_id.type),
        open_list.c.purpose,
    ).where(true())  # SQLite needs a WHERE before ON CONFLICT (a parsing ambiguity)
    columns = ["id", "list_id", "index", "credential_id", "purpose"]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(StatusAllocation.__table__)  # type: ignore[arg-type]
        .from_select(columns, source)
        .on_conflict_do_nothing()
        .returning(StatusAllocation.list_id, StatusAllocation.index)
    )


_statements: dict[str, Insert] = {}


def try_allocate(
    session: Session, issuer_id: uuid.UUID, purpose: str, credential_id: uuid.UUID, candidate: int
) -> tuple[uuid.UUID, int] | None:
    """Take index ``candidate % size`` in the issuer's open ``purpose`` list, in one statement.

    None when the index is taken or there is no open list (the caller looks which). One
    round trip replaces a list query plus a savepoint per attempt: the unique
    ``(list_id, index)`` constraint still decides (a concurrent, uncommitted holder of the
    index makes this wait for its outcome, hence callers take purposes in one fixed order, so
    two issuances never wait on each other crosswise), and a conflict leaves the transaction
    usable. The statement is built once per dialect (building costs more than running it).
    """
    dialect = session.get_bind().dialect.name
    stmt = _statements.get(dialect)
    if stmt is None:
        stmt = _statements[dialect] = _allocation_statement(dialect)
    params = {
        "issuer_id": issuer_id,
        "purpose": purpose,
        "id": uuid.uuid4(),
        "candidate": candidate,
        "credential_id": credential_id,
    }
    # Core execution: through the ORM, a parameter dict on an INSERT means "rows to insert".
    row = session.connection().execute(stmt, params).first()
    return None if row is None else (row[0], row[1])  # not row.index: that is tuple.index


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
