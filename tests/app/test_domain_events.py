"""Domain events: in-transaction subscribers share their cause's fate, after-commit ones run
only after a commit, and the one issuance pipeline records one event per credential."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from api_support import IssuerHandle
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import events
from app.core.errors import Conflict
from app.core.security import IssuerPrincipal
from app.credentials import issuing
from app.credentials.schemas import CredentialIssue
from app.events import CredentialIssued
from app.models import AuditEvent, Credential, StatusAllocation


@dataclass(frozen=True, slots=True)
class Pinged(events.DomainEvent):
    """An event only these tests record."""

    n: int


delivered: list[Pinged] = []
events.subscribe_after_commit(Pinged, delivered.append)


@pytest.fixture(autouse=True)
def _fresh_deliveries() -> None:
    delivered.clear()


def _session(app: FastAPI) -> Session:
    session: Session = app.state.sessionmaker()
    return session


def _audit_rows(session: Session, action: str) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        )
        or 0
    )


def test_after_commit_subscribers_wait_for_the_commit(app: FastAPI) -> None:
    with _session(app) as session:
        session.connection()  # a transaction is open
        events.record(session, Pinged(1))
        assert delivered == []
        assert events.pending(session) == [Pinged(1)]
        session.commit()
        assert delivered == [Pinged(1)]
        assert events.pending(session) == []


def test_a_rolled_back_or_abandoned_transaction_delivers_nothing(app: FastAPI) -> None:
    with _session(app) as session:
        session.connection()
        events.record(session, Pinged(2))
        session.rollback()
        session.connection()
        session.commit()  # a later commit does not bring the rolled-back event back
    with _session(app) as session:
        session.connection()
        events.record(session, Pinged(3))
    assert delivered == []  # closed without a commit


def test_an_event_of_an_already_durable_write_is_delivered_at_once(app: FastAPI) -> None:
    with _session(app) as session:
        assert not session.in_transaction()
        events.record(session, Pinged(4))
        assert delivered == [Pinged(4)]


def test_in_transaction_subscribers_write_in_their_causes_transaction(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    action = f"test.pinged.{uuid.uuid4().hex[:8]}"

    def audit(session: Session, event: Pinged) -> None:
        session.add(AuditEvent(actor="test", action=action, subject_type="t", subject_id="1"))
        session.flush()

    monkeypatch.setattr(events._subscribers, "in_transaction", {Pinged: [audit]})
    with _session(app) as session:
        events.record(session, Pinged(5))
        session.rollback()
        assert _audit_rows(session, action) == 0
        events.record(session, Pinged(6))
        session.commit()
        assert _audit_rows(session, action) == 1


def test_recording_before_the_subscribers_are_wired_is_refused(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events._subscribers, "wired", False)
    with _session(app) as session, pytest.raises(events.EventsNotWired):
        events.record(session, Pinged(7))


def test_recording_inside_a_savepoint_is_refused(app: FastAPI) -> None:
    with _session(app) as session:
        session.begin_nested()
        with pytest.raises(RuntimeError, match="savepoint"):
            events.record(session, Pinged(8))


def test_a_failing_after_commit_subscriber_is_logged_and_the_others_still_run(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_event: Pinged) -> None:
        raise ValueError("secret@example.com")

    monkeypatch.setattr(events._subscribers, "after_commit", {Pinged: [broken, delivered.append]})
    with caplog.at_level(logging.ERROR, logger="app.events"), _session(app) as session:
        session.connection()
        events.record(session, Pinged(9))
        session.commit()
    assert delivered == [Pinged(9)]
    (line,) = [r for r in caplog.records if r.name == "app.events"]
    assert line.getMessage() == "after-commit subscriber failed"
    assert getattr(line, "event", None) == "Pinged"


def test_a_subscriber_refusing_an_issuance_leaves_nothing_written(
    client: TestClient,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(_session: Session, _event: CredentialIssued) -> None:
        raise Conflict("refused by a subscriber")

    table = dict(events._subscribers.in_transaction)
    table[CredentialIssued] = [*table.get(CredentialIssued, []), refuse]
    monkeypatch.setattr(events._subscribers, "in_transaction", table)
    # Every issuance of this test takes the transactional form (no hints yet on SQLite; on
    # PostgreSQL the first issuance of a fresh achievement has no version hint either).
    response = client.post(
        "/api/v1/credentials",
        json={"achievementId": achievement["id"], "recipient": {"email": "x@example.com"}},
        headers=issuer.headers,
    )
    assert response.status_code == 409, response.text
    with _session(app) as session:
        count = session.scalar(
            select(func.count())
            .select_from(Credential)
            .where(Credential.issuer_id == uuid.UUID(issuer.id))
        )
        assert count == 0


def test_a_batch_is_written_in_one_transaction_with_one_event_per_credential(
    app: FastAPI, issuer: IssuerHandle, achievement: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[CredentialIssued] = []
    table = dict(events._subscribers.after_commit)
    table[CredentialIssued] = [*table.get(CredentialIssued, []), seen.append]
    monkeypatch.setattr(events._subscribers, "after_commit", table)
    issuer_id = uuid.UUID(issuer.id)
    requests = [
        issuing.IssueRequest(
            issuer_id=issuer_id,
            actor="test",
            data=CredentialIssue.model_validate(
                {"achievementId": achievement["id"], "recipient": {"email": f"l{n}@example.com"}}
            ),
        )
        for n in range(5)
    ]
    with _session(app) as session:
        rows = issuing.issue_in_transaction(session, app.state.context, requests)
        assert seen == []  # not before the commit
        session.commit()
        ids = [row.id for row in rows]
        assert [e.credential_id for e in seen] == ids
        assert all(not e.in_statement for e in seen)
        stored = session.scalars(select(Credential).where(Credential.id.in_(ids))).all()
        assert sorted(r.recipient_email or "" for r in stored) == [
            f"l{n}@example.com" for n in range(5)
        ]
        assert all(r.document.startswith("{") and r.signing_key_id for r in stored)
        slots = session.scalars(
            select(StatusAllocation).where(StatusAllocation.credential_id.in_(ids))
        ).all()
        assert len({(s.list_id, s.index) for s in slots}) == len(slots) == 5
        audited = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "credential.issue", AuditEvent.subject_id.in_(map(str, ids))
            )
        )
        assert audited == 5


def test_releasing_a_savepoint_delivers_nothing_before_the_root_commits(app: FastAPI) -> None:
    """SQLAlchemy fires ``after_commit`` for a released savepoint too; the root may still roll
    back, so the events wait for it."""
    with _session(app) as session:
        session.connection()
        events.record(session, Pinged(10))
        with session.begin_nested():
            pass
        assert delivered == []
        session.rollback()
    assert delivered == []


def test_issuing_through_a_session_without_the_apps_info_works(
    app: FastAPI, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    """The pipeline is handed its context: a plain session (a script's, a test's) need not
    carry it for the in-transaction subscribers."""
    principal = IssuerPrincipal(
        issuer_id=uuid.UUID(issuer.id), api_key_id=uuid.uuid4(), actor="script"
    )
    data = CredentialIssue.model_validate(
        {"achievementId": achievement["id"], "recipient": {"email": "a@example.org"}}
    )
    with Session(app.state.engine) as session:
        outcome = issuing.issue_credential(session, app.state.context, principal, data)
        assert not outcome.replayed
        assert session.get(Credential, outcome.credential.id) is not None
