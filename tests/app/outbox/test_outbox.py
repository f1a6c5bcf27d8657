"""The transactional outbox (issue 12, item 1): events written with the change, deliveries
made from them after the commit, sent with retries, nothing lost and nothing sent twice."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from api_support import IssuerHandle, issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.credentials import repository as credentials_repository
from app.jobs.delivery import WAKE, DeliveryRunner
from app.models import Credential, Delivery, OutboxEvent
from app.models.base import utcnow
from app.outbox import service as outbox

pytestmark = pytest.mark.usefixtures("quiet_outbox")


class Recorder:
    """A test channel: one delivery per event of the issuers it watches; a scripted sender."""

    def __init__(self, issuers: set[str]) -> None:
        self.channel = f"test-{uuid.uuid4().hex[:8]}"
        self.issuers = issuers
        self.sent: list[dict[str, Any]] = []
        self.script: list[outbox.Outcome] = []  # outcomes to give before delivering
        self.lock = threading.Lock()

    def fan_out(self, session: Session, _context: AppContext, event: OutboxEvent) -> None:
        if str(event.issuer_id) in self.issuers:
            outbox.add_delivery(
                session,
                channel=self.channel,
                issuer_id=event.issuer_id,
                target_id=event.subject_id,
                event_id=event.id,
                payload={"type": event.type, "data": event.data},
            )

    def send(self, _context: AppContext, delivery: Delivery) -> outbox.Outcome:
        with self.lock:
            if self.script:
                return self.script.pop(0)
            self.sent.append({"message_id": delivery.message_id, **delivery.payload})
        return outbox.Outcome(True, status=200)


@pytest.fixture
def issuer(client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    return make_issuer(client, admin_headers)


@pytest.fixture
def recorder(issuer: IssuerHandle, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """The test's channel alone (the e-mail and webhook channels have their own tests)."""
    recorder = Recorder({issuer.id})
    monkeypatch.setattr(outbox.CHANNELS, "fan_out", [recorder.fan_out])
    monkeypatch.setattr(outbox.CHANNELS, "senders", {recorder.channel: recorder.send})
    return recorder


def _run(app: FastAPI, **kwargs: Any) -> int:
    return outbox.run_once(app.state.sessionmaker, app.state.context, **kwargs)


def _events(engine: Engine, subject: str) -> list[str]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(OutboxEvent.type)
                .where(OutboxEvent.subject_id == uuid.UUID(subject))
                .order_by(OutboxEvent.created_at)
            )
        )


def test_issuance_and_revocation_are_announced_once_each_after_commit(
    client: TestClient, app: FastAPI, engine: Engine, issuer: IssuerHandle, recorder: Recorder
) -> None:
    achievement = make_achievement(client, issuer)
    credential = issue(client, issuer, achievement["id"])
    assert _events(engine, credential["id"]) == ["credential.issued"]
    assert recorder.sent == []  # nothing is sent by the request itself
    assert _run(app) == 1
    (message,) = recorder.sent
    assert message["type"] == "credential.issued"
    assert message["data"]["credentialId"] == credential["id"]
    assert message["data"]["notify"] is True
    assert message["message_id"].startswith("msg_")

    revoked = client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        json={"reason": "issued in error"},
        headers=issuer.headers,
    )
    assert revoked.status_code == 200, revoked.text
    assert _run(app) == 1
    assert [m["type"] for m in recorder.sent] == ["credential.issued", "credential.revoked"]
    assert recorder.sent[1]["data"]["reason"] == "issued in error"
    assert _run(app) == 0  # sent is sent: another pass sends nothing


def test_a_warm_issuance_writes_its_event_in_its_own_statement(
    client: TestClient,
    app: FastAPI,
    engine: Engine,
    issuer: IssuerHandle,
    recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On PostgreSQL the second issuance takes the one-statement form (hints are warm): its
    event is written by that statement. Every credential has exactly one event either way."""
    written: list[bool] = []
    insert_issued = credentials_repository.insert_issued

    def spy(*args: Any) -> Any:
        outcome = insert_issued(*args)
        written.append(outcome.written)
        return outcome

    monkeypatch.setattr(credentials_repository, "insert_issued", spy)
    achievement = make_achievement(client, issuer)
    ids = [
        issue(client, issuer, achievement["id"], recipient={"email": f"l{n}@example.org"})["id"]
        for n in range(3)
    ]
    assert any(written) == (engine.dialect.name == "postgresql")
    for credential_id in ids:
        assert _events(engine, credential_id) == ["credential.issued"]
    assert _run(app) == 3
    assert sorted(m["data"]["credentialId"] for m in recorder.sent) == sorted(ids)


def test_a_rolled_back_issuance_announces_nothing(
    client: TestClient, engine: Engine, issuer: IssuerHandle
) -> None:
    achievement = make_achievement(client, issuer)
    with Session(engine) as session:
        before = session.scalar(select(func.count()).select_from(OutboxEvent))
    response = client.post(
        "/api/v1/credentials",
        json={
            "achievementId": achievement["id"],
            "recipient": {"email": "learner@example.org"},
            "results": [{"resultDescription": "no-such-result", "value": "A"}],
        },
        headers=issuer.headers,
    )
    assert response.status_code == 422
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == before


def test_failures_are_retried_on_the_schedule_then_given_up(
    client: TestClient, app: FastAPI, engine: Engine, issuer: IssuerHandle, recorder: Recorder
) -> None:
    achievement = make_achievement(client, issuer)
    credential = issue(client, issuer, achievement["id"])
    recorder.script = [outbox.Outcome(False, status=500, error="boom")] * 2
    outbox.dispatch_events(app.state.sessionmaker, app.state.context)  # the delivery is due...
    start = utcnow()  # ...by now (the clock the test then moves)
    assert _run(app, now=start) == 1  # first attempt fails
    assert _run(app, now=start + timedelta(seconds=4)) == 0  # not due yet (5 s)
    assert _run(app, now=start + timedelta(seconds=5)) == 1  # second attempt fails
    assert _run(app, now=start + timedelta(seconds=304)) == 0  # then 5 min
    assert _run(app, now=start + timedelta(seconds=305)) == 1  # third succeeds
    with Session(engine) as session:
        (delivery,) = session.scalars(
            select(Delivery).where(Delivery.target_id == uuid.UUID(credential["id"]))
        ).all()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("sent", 3, 200)
    assert len(recorder.sent) == 1

    # A permanent failure stops at once; a retryable one stops after the whole schedule.
    second = issue(client, issuer, achievement["id"], recipient={"email": "b@example.org"})
    recorder.script = [outbox.Outcome(False, status=410, error="gone", retry=False)]
    assert _run(app) == 1
    third = issue(client, issuer, achievement["id"], recipient={"email": "c@example.org"})
    recorder.script = [outbox.Outcome(False, status=503)] * len(outbox.RETRY_SCHEDULE_S)
    outbox.dispatch_events(app.state.sessionmaker, app.state.context)
    moment = utcnow()
    for delay in outbox.RETRY_SCHEDULE_S:
        moment += timedelta(seconds=delay)
        assert _run(app, now=moment) == 1
    assert sum(outbox.RETRY_SCHEDULE_S) >= 72 * 3600
    with Session(engine) as session:
        states = {
            str(d.target_id): (d.state, d.attempts)
            for d in session.scalars(
                select(Delivery).where(
                    Delivery.target_id.in_([uuid.UUID(second["id"]), uuid.UUID(third["id"])])
                )
            )
        }
    assert states == {
        second["id"]: ("failed", 1),
        third["id"]: ("failed", len(outbox.RETRY_SCHEDULE_S)),
    }


def test_a_redelivery_sends_the_same_message_again(
    client: TestClient, app: FastAPI, engine: Engine, issuer: IssuerHandle, recorder: Recorder
) -> None:
    achievement = make_achievement(client, issuer)
    issue(client, issuer, achievement["id"])
    _run(app)
    with app.state.sessionmaker() as session:
        (sent,) = session.scalars(
            select(Delivery).where(Delivery.channel == recorder.channel)
        ).all()
        outbox.redeliver(session, sent)
        session.commit()
    _run(app)
    assert [m["message_id"] for m in recorder.sent] == [sent.message_id] * 2


def test_a_crash_between_commit_and_send_loses_nothing(
    client: TestClient, app: FastAPI, engine: Engine, issuer: IssuerHandle, recorder: Recorder
) -> None:
    """Committed events wait for a relay however long; a delivery leased by a relay that died
    is sent by another once the lease runs out, with the same message id."""
    achievement = make_achievement(client, issuer)
    issue(client, issuer, achievement["id"])  # committed; no relay ran (the process "died")
    sessions = app.state.sessionmaker
    outbox.dispatch_events(sessions, app.state.context)
    with sessions() as session:  # a relay leases the delivery, then dies before sending
        (leased,) = outbox.repository.claim_due(session, "dead-relay", utcnow(), 10, 60)
    assert _run(app) == 0  # its lease holds
    assert _run(app, now=utcnow() + timedelta(seconds=61)) == 1
    assert len(recorder.sent) == 1
    with Session(engine) as session:
        row = session.get(Delivery, leased)
        assert row is not None
        assert (row.state, row.attempts) == ("sent", 1)


def test_the_relay_thread_sends_soon_after_the_commit(
    client: TestClient, app: FastAPI, issuer: IssuerHandle, recorder: Recorder
) -> None:
    """The embedded relay (the service's thread on SQLite, each worker's on PostgreSQL) is
    woken by the commit: no poll interval to wait for (poll_s is an hour here)."""
    relay = DeliveryRunner(app.state.sessionmaker, app.state.context, poll_s=3600)
    WAKE.attach(relay.wake)
    relay.start()
    try:
        time.sleep(0.2)  # its first pass finds nothing and waits
        achievement = make_achievement(client, issuer)
        credential = issue(client, issuer, achievement["id"])
        deadline = time.monotonic() + 10
        while not recorder.sent and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        WAKE.detach(relay.wake)
        relay.stop()
    assert [m["data"]["credentialId"] for m in recorder.sent] == [credential["id"]]


def test_a_batch_announces_each_credential_and_its_completion(
    client: TestClient, app: FastAPI, engine: Engine, issuer: IssuerHandle, recorder: Recorder
) -> None:
    achievement = make_achievement(client, issuer)
    rows = [{"email": f"cohort{n}@example.org", "name": f"Learner {n}"} for n in range(3)]
    response = client.post(
        "/api/v1/batches",
        json={"achievementId": achievement["id"], "rows": rows},
        headers=issuer.headers,
    )
    assert response.status_code == 202, response.text
    batch_id = response.json()["id"]
    deadline = time.monotonic() + 20
    while client.get(f"/api/v1/batches/{batch_id}", headers=issuer.headers).json()["state"] != (
        "completed"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    _run(app)
    types = sorted(m["type"] for m in recorder.sent)
    assert types == ["batch.completed"] + ["credential.issued"] * 3
    (completed,) = [m for m in recorder.sent if m["type"] == "batch.completed"]
    assert completed["data"] == {
        "batchId": batch_id,
        "state": "completed",
        "issued": 3,
        "skipped": 0,
        "failed": 0,
    }
    with Session(engine) as session:
        count = session.scalar(
            select(func.count())
            .select_from(Credential)
            .where(Credential.issuer_id == uuid.UUID(issuer.id))
        )
    assert count == 3


def test_a_failing_fan_out_holds_back_only_its_event(
    client: TestClient,
    app: FastAPI,
    issuer: IssuerHandle,
    recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    achievement = make_achievement(client, issuer)
    bad = issue(client, issuer, achievement["id"], recipient={"email": "bad@example.org"})
    good = issue(client, issuer, achievement["id"], recipient={"email": "good@example.org"})

    def fails_for_one(session: Session, context: AppContext, event: OutboxEvent) -> None:
        if event.subject_id == uuid.UUID(bad["id"]):
            raise RuntimeError("a handler defect")

    monkeypatch.setattr(outbox.CHANNELS, "fan_out", [fails_for_one, *outbox.CHANNELS.fan_out])
    _run(app)
    assert [m["data"]["credentialId"] for m in recorder.sent] == [good["id"]]
    monkeypatch.setattr(outbox.CHANNELS, "fan_out", outbox.CHANNELS.fan_out[1:])
    _run(app)  # fixed: the held-back event goes out on a later pass
    assert sorted(m["data"]["credentialId"] for m in recorder.sent) == sorted(
        [good["id"], bad["id"]]
    )


def test_what_was_sent_is_forgotten_after_the_retention_and_nothing_pending_is(
    client: TestClient, app: FastAPI, engine: Engine, issuer: IssuerHandle, recorder: Recorder
) -> None:
    achievement = make_achievement(client, issuer)
    sent = issue(client, issuer, achievement["id"])
    _run(app)
    recorder.script = [outbox.Outcome(False, status=503)]  # this one stays pending (a retry)
    waiting = issue(client, issuer, achievement["id"], recipient={"email": "w@example.org"})
    _run(app)
    days = app.state.context.settings.outbox_retention_days
    sessions, context = app.state.sessionmaker, app.state.context

    assert outbox.purge(sessions, context, now=utcnow() + timedelta(days=days - 1)) == 0
    assert _events(engine, sent["id"]) == ["credential.issued"]  # not old enough yet

    outbox.purge(sessions, context, now=utcnow() + timedelta(days=days, seconds=5))
    with Session(engine) as session:
        left = {
            str(d.target_id): d.state
            for d in session.scalars(
                select(Delivery).where(
                    Delivery.target_id.in_([uuid.UUID(sent["id"]), uuid.UUID(waiting["id"])])
                )
            )
        }
    assert left == {waiting["id"]: "pending"}  # the sent one is gone, the retry stays
    assert _events(engine, sent["id"]) == []
    assert _events(engine, waiting["id"]) == ["credential.issued"]  # its delivery still needs it
