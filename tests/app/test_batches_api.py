"""Batches through the API: validate first, queue, issue in the background, results, cancel."""

from __future__ import annotations

import csv
import io
import time
import uuid
from typing import Any

import pytest
from api_support import IssuerHandle, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.batches import service as batches
from app.jobs.dispatch import DISPATCH
from app.models import AuditEvent, Batch, BatchRow, Credential


def _rows(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"email": f"learner{i}@example.edu", "name": f"Learner {i}", "Final grade": "A"}
        for i in range(start, start + n)
    ]


def _upload(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any], rows: Any, **options: Any
) -> Any:
    return client.post(
        "/api/v1/batches",
        json={"achievementId": achievement["id"], "rows": rows, **options},
        headers=issuer.headers,
    )


def _wait(client: TestClient, issuer: IssuerHandle, batch_id: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/v1/batches/{batch_id}", headers=issuer.headers).json()
        if body["state"] in ("completed", "failed", "cancelled") or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def _results(client: TestClient, issuer: IssuerHandle, batch_id: str) -> list[dict[str, str]]:
    response = client.get(f"/api/v1/batches/{batch_id}/results.csv", headers=issuer.headers)
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_batch_is_issued_in_the_background_and_every_credential_verifies(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    accepted = _upload(client, issuer, achievement, _rows(25))
    assert accepted.status_code == 202, accepted.text
    assert accepted.headers["location"] == f"/api/v1/batches/{accepted.json()['id']}"
    done = _wait(client, issuer, accepted.json()["id"])
    assert (done["state"], done["total"], done["issued"], done["failed"]) == (
        "completed",
        25,
        25,
        0,
    )
    assert done["startedAt"]
    assert done["finishedAt"]
    results = _results(client, issuer, done["id"])
    assert [r["row"] for r in results] == [str(n) for n in range(1, 26)]  # JSON rows: 1, 2, …
    assert {r["state"] for r in results} == {"issued"}
    assert len({r["credentialId"] for r in results}) == 25
    credential = client.get(f"/credentials/{results[0]['credentialId']}.json").json()
    assert credential["credentialSubject"]["result"][0]["value"] == "A"
    report = client.post("/api/v1/verify", json=credential).json()
    assert report["verified"], report
    listed = client.get("/api/v1/batches", headers=issuer.headers).json()["items"]
    assert [b["id"] for b in listed] == [done["id"]]


def test_any_invalid_row_refuses_the_whole_upload_naming_row_and_column(
    client: TestClient, admin_headers: dict[str, str], app: FastAPI
) -> None:
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    rows = _rows(3)
    rows[1]["email"] = "not-an-email"
    rows[2]["validFrom"] = "the day after tomorrow"
    response = _upload(client, issuer, achievement, rows)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert {(e["row"], e["column"]) for e in errors} == {(2, "email"), (3, "validFrom")}
    with app.state.sessionmaker() as session:
        count = session.scalar(
            select(func.count()).select_from(Batch).where(Batch.issuer_id == uuid.UUID(issuer.id))
        )
        assert count == 0


def test_skip_invalid_issues_the_valid_rows_and_reports_the_others(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    rows = _rows(3)
    rows[1]["email"] = "not-an-email"
    accepted = _upload(client, issuer, achievement, rows, skipInvalid=True)
    assert accepted.status_code == 202, accepted.text
    done = _wait(client, issuer, accepted.json()["id"])
    assert (done["total"], done["issued"], done["failed"]) == (3, 2, 1)
    assert [e["row"] for e in done["errors"]] == [2]
    states = {r["row"]: r["state"] for r in _results(client, issuer, done["id"])}
    assert states == {"1": "issued", "2": "failed", "3": "issued"}


def test_a_dry_run_shows_the_first_credential_and_creates_nothing(
    client: TestClient, admin_headers: dict[str, str], app: FastAPI
) -> None:
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    response = _upload(client, issuer, achievement, _rows(4), dryRun=True)
    assert response.status_code == 200, response.text
    preview = response.json()
    assert (preview["total"], preview["valid"], preview["invalid"]) == (4, 4, 0)
    first = preview["firstCredential"]
    assert first["credentialSubject"]["achievement"]["name"] == achievement["name"]
    assert "proof" not in first
    with app.state.sessionmaker() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(Credential)
                .where(Credential.issuer_id == uuid.UUID(issuer.id))
            )
            == 0
        )


def test_duplicates_are_skipped_refused_or_allowed(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    first = _upload(client, issuer, achievement, _rows(2))
    _wait(client, issuer, first.json()["id"])
    refused = _upload(client, issuer, achievement, _rows(3), duplicates="error")
    assert refused.status_code == 422
    assert {(e["row"], e["column"]) for e in refused.json()["errors"]} == {
        (1, "email"),
        (2, "email"),
    }
    skipped = _wait(client, issuer, _upload(client, issuer, achievement, _rows(3)).json()["id"])
    assert (skipped["issued"], skipped["skipped"]) == (1, 2)
    allowed = _wait(
        client,
        issuer,
        _upload(client, issuer, achievement, _rows(1), duplicates="allow").json()["id"],
    )
    assert allowed["issued"] == 1


def test_a_crashed_workers_rows_are_taken_over_and_none_is_issued_twice(
    client: TestClient, admin_headers: dict[str, str], app: FastAPI
) -> None:
    """A worker that claimed a chunk and died leaves leases; once they expire another worker
    issues those rows. A row whose credential was written by the dead worker's committed
    chunk is never issued again (the chunk's rows were marked in the same transaction)."""
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    batch_id = uuid.UUID(_upload(client, issuer, achievement, _rows(6)).json()["id"])
    _wait(client, issuer, str(batch_id))  # the embedded runner issued them
    sessions = app.state.sessionmaker
    with sessions() as session:
        session.execute(  # as if a dead worker had claimed the last 3 rows and never issued
            BatchRow.__table__.update()
            .where(BatchRow.batch_id == batch_id, BatchRow.number >= 4)
            .values(state="pending", credential_id=None, lease_owner="dead", lease_until=None)
        )
        session.execute(
            Batch.__table__.update()
            .where(Batch.id == batch_id)
            .values(state="running", issued=3, finished_at=None)
        )
        session.commit()
    done = batches.process_batch(sessions, app.state.context, batch_id, "rescuer")
    assert done == 3
    with sessions() as session:
        rows = session.scalars(select(BatchRow).where(BatchRow.batch_id == batch_id)).all()
        assert {r.state for r in rows} == {"issued"}
        # Each row's credential is the one its idempotency key names: the re-run found the
        # three credentials already written and did not write new ones.
        per_issuer = session.scalar(
            select(func.count())
            .select_from(Credential)
            .where(Credential.issuer_id == uuid.UUID(issuer.id))
        )
        assert per_issuer == 6
        batch = session.get(Batch, batch_id)
        assert batch is not None
        assert batch.state == "completed"
        assert batch.issued == 6
        audited = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "credential.issue", AuditEvent.actor == f"batch:{batch_id}")
        )
        assert audited == 6


def test_cancel_stops_a_queued_batch(
    client: TestClient, admin_headers: dict[str, str], app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No runner takes this batch (it is neither announced nor swept up): cancelling it
    cancels every row, and a runner that comes later issues nothing. Another issuer can neither
    see nor cancel it; a finished batch cannot be cancelled."""
    monkeypatch.setattr(DISPATCH, "_targets", [])
    monkeypatch.setattr(batches, "batches_to_dispatch", lambda _session: [])
    issuer = make_issuer(client, admin_headers)
    other = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    batch_id = _upload(client, issuer, achievement, _rows(3)).json()["id"]
    url = f"/api/v1/batches/{batch_id}"
    assert client.post(f"{url}/cancel", headers=other.headers).status_code == 404
    assert client.get(url, headers=other.headers).status_code == 404
    cancelled = client.post(f"{url}/cancel", headers=issuer.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["state"], cancelled.json()["issued"]) == ("cancelled", 0)
    assert client.post(f"{url}/cancel", headers=issuer.headers).status_code == 200  # retry-safe
    sessions = app.state.sessionmaker
    assert batches.process_batch(sessions, app.state.context, uuid.UUID(batch_id), "late") == 0
    assert {r["state"] for r in _results(client, issuer, batch_id)} == {"cancelled"}
    done = _upload(client, issuer, achievement, _rows(1, start=10)).json()["id"]
    batches.process_batch(sessions, app.state.context, uuid.UUID(done), "runner")
    refused = client.post(f"/api/v1/batches/{done}/cancel", headers=issuer.headers)
    assert refused.status_code == 409


def test_a_whole_batch_is_revoked_in_one_call(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issuer = make_issuer(client, admin_headers)
    other = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    batch_id = _upload(client, issuer, achievement, _rows(5)).json()["id"]
    _wait(client, issuer, batch_id)
    body = {"batchId": batch_id, "reason": "wrong term"}
    hidden = client.post("/api/v1/credentials/bulk-revoke", json=body, headers=other.headers)
    assert hidden.status_code == 404
    revoked = client.post("/api/v1/credentials/bulk-revoke", json=body, headers=issuer.headers)
    assert revoked.status_code == 200, revoked.text
    assert len(revoked.json()["changed"]) == 5
    states = {r["credentialState"] for r in _results(client, issuer, batch_id)}
    assert states == {"revoked"}
    both = client.post(
        "/api/v1/credentials/bulk-revoke",
        json={**body, "credentialIds": [revoked.json()["changed"][0]]},
        headers=issuer.headers,
    )
    assert both.status_code == 422


def test_a_stopping_worker_finishes_its_chunk_and_leaves_the_rest(
    client: TestClient, admin_headers: dict[str, str], app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker asked to stop (SIGTERM) returns after the chunk in hand; another finishes."""
    monkeypatch.setattr(DISPATCH, "_targets", [])
    monkeypatch.setattr(batches, "batches_to_dispatch", lambda _session: [])
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    batch_id = uuid.UUID(_upload(client, issuer, achievement, _rows(5)).json()["id"])
    asked: list[int] = []

    def stopping() -> bool:
        asked.append(1)
        return len(asked) > 1  # the first chunk goes ahead, then the worker stops

    sessions, context = app.state.sessionmaker, app.state.context
    assert batches.process_batch(sessions, context, batch_id, "a", chunk=2, stopping=stopping) == 2
    state = client.get(f"/api/v1/batches/{batch_id}", headers=issuer.headers).json()
    assert (state["state"], state["issued"]) == ("running", 2)
    assert batches.process_batch(sessions, context, batch_id, "b", chunk=2) == 3
    state = client.get(f"/api/v1/batches/{batch_id}", headers=issuer.headers).json()
    assert (state["state"], state["issued"]) == ("completed", 5)


def test_the_completion_event_counts_rows_another_worker_committed_meanwhile(
    client: TestClient, admin_headers: dict[str, str], app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that loaded the batch before another worker's last chunk committed, and then
    completes it, announces the counts as they are (sessions keep loaded attributes)."""
    from app.batches import repository
    from app.models import OutboxEvent

    monkeypatch.setattr(DISPATCH, "_targets", [])
    monkeypatch.setattr(batches, "batches_to_dispatch", lambda _session: [])
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    batch_id = uuid.UUID(_upload(client, issuer, achievement, _rows(3)).json()["id"])
    sessions, context = app.state.sessionmaker, app.state.context
    with sessions() as stale:
        loaded = repository.get(stale, batch_id)
        assert loaded is not None
        assert loaded.issued == 0
        stale.commit()
        with sessions() as other:  # the other worker issues every row, not completing
            numbers = repository.claim_rows(other, batch_id, "other", 10, 60)
            batch = repository.get(other, batch_id)
            assert batch is not None
            assert batches._issue_chunk(other, context, batch, numbers, "other") == 3
        batches._complete(stale, batch_id)
    with sessions() as session:
        data = session.scalars(
            select(OutboxEvent.data).where(
                OutboxEvent.type == "batch.completed", OutboxEvent.subject_id == batch_id
            )
        ).one()
    assert (data["state"], data["issued"]) == ("completed", 3), data


def test_a_batch_of_module_credentials_awards_each_learners_program_once(
    client: TestClient, admin_headers: dict[str, str], app: FastAPI
) -> None:
    """Program awards follow batch issuance exactly as single issuance: in the transaction
    of the chunk that issued the completing module credential, once per learner."""
    issuer = make_issuer(client, admin_headers)
    module = make_achievement(client, issuer, achievementType="Course", resultDescription=[])
    program = client.post(
        "/api/v1/programs",
        json={
            "name": {"en": "Translation certificate"},
            "description": {"en": "All modules."},
            "modules": [module["id"]],
            "achievement": {"achievementType": "Certificate", "criteria": {"narrative": "All."}},
        },
        headers=issuer.headers,
    )
    assert program.status_code == 201, program.text
    rows = [{"email": f"cohort{n}@example.edu"} for n in range(3)]
    for duplicates in ("skip", "allow"):  # the second batch issues the module again
        batch = _upload(client, issuer, module, rows, duplicates=duplicates).json()["id"]
        assert _wait(client, issuer, batch)["issued"] == 3
    awards = set()
    for row in rows:
        url = f"/api/v1/programs/{program.json()['id']}/learners/{row['email']}"
        progress = client.get(url, headers=issuer.headers).json()
        assert progress["awarded"], progress
        awards.add(progress["programCredentialId"])
    assert len(awards) == 3
    with app.state.sessionmaker() as session:
        awarded = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "program.award",
                AuditEvent.subject_id == program.json()["id"],
            )
        )
        assert awarded == 3


def test_an_upload_names_a_misspelt_form_field(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    response = client.post(
        "/api/v1/batches",
        data={"achievementId": achievement["id"], "dry_run": "true"},
        files={"file": ("cohort.csv", b"email\na@example.org\n", "text/csv")},
        headers=issuer.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "dry_run"
    accepted = client.post(
        "/api/v1/batches",
        data={"achievementId": achievement["id"], "dryRun": "true"},
        files={"file": ("cohort.csv", b"email\na@example.org\n", "text/csv")},
        headers=issuer.headers,
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["valid"] == 1


def test_bad_options_are_named_alike_in_a_form_and_in_json(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    as_json = _upload(client, issuer, achievement, _rows(1), duplicates="maybe", proof="none")
    as_form = client.post(
        "/api/v1/batches",
        data={"achievementId": achievement["id"], "duplicates": "maybe", "proof": "none"},
        files={"file": ("cohort.csv", b"email\na@example.org\n", "text/csv")},
        headers=issuer.headers,
    )
    for response in (as_json, as_form):
        assert response.status_code == 422, response.text
        fields = {e["field"] for e in response.json()["errors"]}
        assert fields == {"$.duplicates", "$.proof"}
