"""``app.core.bulk.insert_rows``: COPY on PostgreSQL, executemany on SQLite, the same outcome.

The batch writer and the upload rely on it raising SQLAlchemy's exceptions, with the driver's
diagnostics, as an INSERT would: a unique violation is how a chunk learns to go row by row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import JSON, Column, Engine, MetaData, String, Table, Uuid, select
from sqlalchemy.exc import IntegrityError

from app.core import bulk
from app.models.base import UTCDateTime


def _table() -> Table:
    table = Table(
        f"bulk_probe_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("id", Uuid, primary_key=True),
        Column("name", String(40), nullable=False),
        Column("details", JSON, nullable=False),
        Column("at", UTCDateTime, nullable=False),
        Column("note", String(40), server_default="none"),
    )
    return table


@pytest.fixture
def table(engine: Engine) -> Iterator[Table]:
    table = _table()
    table.create(engine)
    yield table
    table.drop(engine)


def test_rows_arrive_with_their_types(engine: Engine, table: Table) -> None:
    at = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "name": f'row {n}\t\\ "q" 中文\n',
            "details": {"n": n, "x": [1]},
            "at": at,
        }
        for n in range(3)
    ]
    with engine.begin() as connection:
        bulk.insert_rows(connection, table, rows)
    with engine.connect() as connection:
        found = connection.execute(select(table).order_by(table.c.name)).all()
    assert [(r.id, r.name, r.details, r.at, r.note) for r in found] == [
        (row["id"], row["name"], row["details"], at, "none") for row in rows
    ]


def test_a_unique_violation_is_an_integrity_error_and_nothing_is_written(
    engine: Engine, table: Table
) -> None:
    same = uuid.uuid4()
    at = datetime(2026, 12, 2, tzinfo=UTC)
    rows = [{"id": same, "name": "a", "details": {}, "at": at} for _ in range(2)]
    with pytest.raises(IntegrityError) as refused, engine.begin() as connection:
        bulk.insert_rows(connection, table, rows)
    if engine.dialect.name == "postgresql":
        diag = cast(Any, refused.value.orig).diag
        assert diag.constraint_name == f"{table.name}_pkey"
    with engine.connect() as connection:
        assert connection.execute(select(table)).all() == []
