"""The per-worker caches on the issuing path: what may be stale, for how long, and what never.

Another worker's change is simulated by making the change without this worker's invalidation.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from api_support import IssuerHandle, assert_problem, issue
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.core import events
from app.core.cache import TtlLru
from app.events import KeysRotated
from app.signing_keys import service as keys


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _method(credential: dict[str, Any]) -> str:
    return str(credential["credential"]["proof"]["verificationMethod"])


def test_another_workers_key_rotation_applies_within_the_ttl_and_stale_credentials_verify(
    client: TestClient,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(keys, "active_keys", TtlLru(16, clock=clock))
    before = _method(issue(client, issuer, achievement["id"]))
    # The rotation happens "in another worker": this worker is not told.
    without_forgetting = {
        kind: handlers
        for kind, handlers in events._subscribers.after_commit.items()
        if kind is not KeysRotated
    }
    monkeypatch.setattr(events._subscribers, "after_commit", without_forgetting)
    rotated = client.post("/api/v1/keys/rotate", headers=issuer.headers)
    assert rotated.status_code == 200, rotated.text

    stale = issue(client, issuer, achievement["id"])
    assert _method(stale) == before  # the just-retired key, within the TTL
    report = client.post("/api/v1/verify", json=stale["credential"]).json()
    assert report["verified"], report  # retired keys stay in the DID document

    clock.now += keys.ACTIVE_KEY_CACHE_SECONDS + 0.1
    assert _method(issue(client, issuer, achievement["id"])) != before


def test_the_rotating_worker_signs_with_the_new_key_at_once(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    before = _method(issue(client, issuer, achievement["id"]))
    new_keys = client.post("/api/v1/keys/rotate", headers=issuer.headers).json()
    new_methods = {k["verificationMethod"] for k in new_keys}
    after = _method(issue(client, issuer, achievement["id"]))
    assert after != before
    assert after in new_methods


def test_an_achievement_edited_in_place_after_a_failed_issuance_is_issued_as_edited(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    # The failed issuance loads (and caches) version 1 while it is still editable in place.
    failed = client.post(
        "/api/v1/credentials",
        json={
            "achievementId": achievement["id"],
            "recipient": {"email": "learner@example.org"},
            "validFrom": "2030-01-01T00:00:00Z",
            "validUntil": "2029-01-01T00:00:00Z",
        },
        headers=issuer.headers,
    )
    assert_problem(failed, 422, "$.validUntil")
    edited = client.patch(
        f"/api/v1/achievements/{achievement['id']}",
        json={"description": "Edited in place."},
        headers=issuer.headers,
    ).json()
    assert edited["version"] == 1

    credential = issue(client, issuer, achievement["id"])
    embedded = credential["credential"]["credentialSubject"]["achievement"]
    assert embedded["description"] == "Edited in place."


def test_the_issuance_response_equals_the_read_response(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    created = client.post(
        "/api/v1/credentials",
        json={
            "achievementId": achievement["id"],
            "recipient": {"email": "learner@example.org", "name": "李伟"},
            "proof": "both",
        },
        headers=issuer.headers,
    )
    assert created.status_code == 201
    assert created.headers["content-type"] == "application/json"
    assert created.headers["location"] == f"/api/v1/credentials/{created.json()['id']}"
    read = client.get(created.headers["location"], headers=issuer.headers)
    assert created.json() == read.json()
    assert created.json()["jwt"].count(".") == 2


def test_a_lookup_that_races_the_rotation_does_not_cache_the_retired_key(
    client: TestClient,
    issuer: IssuerHandle,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An issuance in the rotating worker reads the old key just before the rotation commits and
    stores it just after the rotation's forgetting (after its commit): it must not be kept."""
    issuer_id = uuid.UUID(issuer.id)
    lookup = keys.require_active_key

    def read_then_rotation_commits(session: Session, issuer: uuid.UUID, purpose: str) -> Any:
        row = lookup(session, issuer, purpose)
        session.rollback()  # SQLite: let the rotation take the write lock (the row reloads)
        rotated = client.post("/api/v1/keys/rotate", headers=auth_headers)
        assert rotated.status_code == 200, rotated.text
        return row

    auth_headers = issuer.headers
    with Session(engine) as session:
        before = keys.active_key(session, issuer_id, keys.DATA_INTEGRITY).verification_method
    monkeypatch.setattr(keys, "active_keys", TtlLru(16))
    monkeypatch.setattr(keys, "require_active_key", read_then_rotation_commits)
    with Session(engine) as session:
        raced = keys.active_key(session, issuer_id, keys.DATA_INTEGRITY)
    assert raced.verification_method == before  # read before the rotation: legitimately old
    monkeypatch.setattr(keys, "require_active_key", lookup)
    with Session(engine) as session:
        after = keys.active_key(session, issuer_id, keys.DATA_INTEGRITY).verification_method
    assert after != before  # the retired key was not cached past the rotation
