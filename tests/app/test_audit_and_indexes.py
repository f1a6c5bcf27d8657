"""Database-level guarantees: audit rows cannot be edited (PostgreSQL), hot lookups are indexed."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.audit import service as audit


def _audit_row(engine: Engine) -> str:
    subject = f"test-{uuid.uuid4()}"
    with Session(engine) as session:
        audit.insert_row(
            session,
            audit.event_row(
                actor="test", action="test.append", subject_type="test", subject_id=subject
            ),
        )
        session.commit()
    return subject


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'someone else' WHERE subject_id = :subject",
        "DELETE FROM audit_events WHERE subject_id = :subject",
    ],
)
def test_postgres_refuses_to_change_or_remove_audit_rows(engine: Engine, statement: str) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    subject = _audit_row(engine)
    with engine.connect() as connection, pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text(statement), {"subject": subject})
    with engine.connect() as connection:
        actors = connection.execute(
            text("SELECT actor FROM audit_events WHERE subject_id = :subject"),
            {"subject": subject},
        ).scalars()
        assert list(actors) == ["test"]


def test_credentials_are_indexed_by_each_recipient_column(engine: Engine) -> None:
    indexed = {tuple(ix["column_names"]) for ix in inspect(engine).get_indexes("credentials")}
    assert ("recipient_email",) in indexed
    assert ("recipient_did",) in indexed  # program evaluation of a DID learner, per issuance
