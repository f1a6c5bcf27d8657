"""The one-statement issuance on PostgreSQL: what it writes, and when it steps aside.

Issuing from a warm worker is one statement built on per-worker hints (the achievement version,
the open status lists); these tests prove it writes what the transactional path writes and
that every stale hint sends the request down that path instead of issuing something wrong.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from api_support import IssuerHandle, issue, make_achievement
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select, text

from app.hot import issuing as hot_issuing
from app.models import AuditEvent, Credential, StatusAllocation
from app.status import service as status_service

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the one-statement issuance is PostgreSQL's (set BADGES_TEST_DATABASE_URL)")


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the application sends, through either of its engines, in the block."""
    seen: list[str] = []
    engines = [app.state.engine, app.state.autocommit_engine]

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


def _rows(engine: Engine, credential_id: str) -> dict[str, Any]:
    with engine.connect() as connection:
        credential = connection.execute(
            select(Credential.__table__).where(Credential.id == credential_id)
        ).one()
        allocations = connection.execute(
            select(StatusAllocation.purpose, StatusAllocation.list_id).where(
                StatusAllocation.credential_id == credential_id
            )
        ).all()
        audits = connection.execute(
            select(AuditEvent.action, AuditEvent.signing_key_id, AuditEvent.details).where(
                AuditEvent.subject_id == credential_id
            )
        ).all()
    return {"credential": credential._asdict(), "allocations": allocations, "audits": audits}


def test_a_warm_issuance_is_one_statement_and_writes_what_the_other_path_writes(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    engine: Engine,
) -> None:
    first = issue(client, issuer, achievement["id"])  # the transactional path warms the hints
    with statements(app) as sent:
        second = issue(client, issuer, achievement["id"], recipient={"did": "did:example:42"})
    # Authentication reads the API key's row on every request (a revocation holds at once in
    # every worker); issuing itself is the one statement.
    key_checks = [s for s in sent if "FROM api_keys" in s]
    assert len(key_checks) == 1, sent
    issuing = [s for s in sent if s not in key_checks]
    assert len(issuing) == 1, issuing
    assert issuing[0].lstrip().startswith("WITH guard AS")

    before, after = _rows(engine, first["id"]), _rows(engine, second["id"])
    for rows in (before, after):
        assert [purpose for purpose, _ in rows["allocations"]] == ["revocation"]
        assert [(a, d["proof"], d["version"]) for a, _, d in rows["audits"]] == [
            ("credential.issue", "data-integrity", 1)
        ]
    assert dict(before["allocations"]) == dict(after["allocations"])
    assert before["audits"][0][1] == after["audits"][0][1] == after["credential"]["signing_key_id"]
    same = ("issuer_id", "achievement_id", "proof_format", "signing_key_id", "hidden")
    assert [before["credential"][c] for c in same] == [after["credential"][c] for c in same]
    assert after["credential"]["recipient_did"] == "did:example:42"
    assert after["credential"]["document"] == _served(client, second["id"])

    report = client.post("/api/v1/verify", json=second["credential"]).json()
    assert report["verified"], report


def _served(client: TestClient, credential_id: str) -> str:
    return client.get(f"/credentials/{credential_id}.json").text


def test_an_achievement_edited_after_warm_up_is_issued_in_its_new_version(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    issue(client, issuer, achievement["id"])
    edited = client.patch(
        f"/api/v1/achievements/{achievement['id']}",
        json={"name": "Data Analysis with Python, 2nd edition"},
        headers=issuer.headers,
    )
    assert edited.status_code == 200, edited.text
    fresh = issue(client, issuer, achievement["id"])
    assert fresh["achievementVersion"] == 2
    signed = fresh["credential"]["credentialSubject"]["achievement"]["name"]
    assert signed == "Data Analysis with Python, 2nd edition"


def test_a_list_that_filled_up_sends_issuance_to_a_new_list(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any], engine: Engine
) -> None:
    first = issue(client, issuer, achievement["id"])
    revocation = first["credential"]["credentialStatus"]
    assert revocation["statusPurpose"] == "revocation"
    list_id = revocation["statusListCredential"].rsplit("/", 1)[1]
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE status_lists SET next_position = size, is_full = true WHERE id = :id"),
            {"id": list_id},
        )
    status_service.forget_reservations()  # as if this worker's block had run out
    second = issue(client, issuer, achievement["id"])
    moved = second["credential"]["credentialStatus"]
    assert moved["statusPurpose"] == "revocation"
    assert moved["statusListCredential"] != revocation["statusListCredential"]
    revoked = client.post(f"/api/v1/credentials/{second['id']}/revoke", headers=issuer.headers)
    assert revoked.status_code == 200
    report = client.post("/api/v1/verify", json=second["credential"]).json()
    assert not report["verified"]
    assert {c["id"]: c["status"] for c in report["checks"]}["revocation"] == "invalid"


def test_a_module_of_a_program_made_after_warm_up_still_earns_the_program(
    client: TestClient, issuer: IssuerHandle
) -> None:
    module = make_achievement(client, issuer, name="Module one", resultDescription=[])
    issue(client, issuer, module["id"], recipient={"email": "someone.else@example.org"})
    program = client.post(
        "/api/v1/programs",
        json={
            "name": {"en": "One-module program"},
            "description": {"en": "Earned with one module."},
            "defaultLanguage": "en",
            "modules": [module["id"]],
            "rule": {"kind": "all"},
            "achievement": {"achievementType": "Certificate", "criteria": {"narrative": "All."}},
        },
        headers=issuer.headers,
    )
    assert program.status_code == 201, program.text
    issue(client, issuer, module["id"], recipient={"email": "ma.lin@example.org"})
    progress = client.get(
        f"/api/v1/programs/{program.json()['id']}/learners/ma.lin@example.org",
        headers=issuer.headers,
    ).json()
    assert progress["awarded"], progress


def test_a_warm_retry_with_the_same_idempotency_key_replays(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    issue(client, issuer, achievement["id"])
    body = {"achievementId": achievement["id"], "recipient": {"email": "retry@example.org"}}
    headers = {**issuer.headers, "Idempotency-Key": "warm-1"}
    first = client.post("/api/v1/credentials", json=body, headers=headers)
    again = client.post("/api/v1/credentials", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    changed = client.post(
        "/api/v1/credentials",
        json={**body, "recipient": {"email": "other@example.org"}},
        headers=headers,
    )
    assert changed.status_code == 422


def test_a_suspension_setting_changed_after_warm_up_is_followed_at_once(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any], engine: Engine
) -> None:
    first = issue(client, issuer, achievement["id"])  # hint: the revocation list only
    assert isinstance(first["credential"]["credentialStatus"], dict)
    with engine.begin() as connection:  # as an issuer edit would, in another worker
        connection.execute(
            text("UPDATE issuers SET suspension_enabled = true WHERE id = :id"), {"id": issuer.id}
        )
    second = issue(client, issuer, achievement["id"])
    purposes = [e["statusPurpose"] for e in second["credential"]["credentialStatus"]]
    assert purposes == ["revocation", "suspension"]
    third = issue(client, issuer, achievement["id"])  # warm again, now with both lists
    assert len(third["credential"]["credentialStatus"]) == 2
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE issuers SET suspension_enabled = false WHERE id = :id"), {"id": issuer.id}
        )
    fourth = issue(client, issuer, achievement["id"])
    assert fourth["credential"]["credentialStatus"]["statusPurpose"] == "revocation"
    suspended = client.post(f"/api/v1/credentials/{third['id']}/suspend", headers=issuer.headers)
    assert suspended.status_code == 200, suspended.text
    report = client.post("/api/v1/verify", json=third["credential"]).json()
    assert {c["id"]: c["status"] for c in report["checks"]}["suspension"] == "invalid"


@pytest.mark.parametrize("wrong", ["another issuer's list", "a suspension list"])
def test_a_hint_naming_a_list_not_the_issuers_revocation_list_is_refused(
    client: TestClient,
    issuer: IssuerHandle,
    other_issuer: IssuerHandle,
    achievement: dict[str, Any],
    wrong: str,
) -> None:
    issue(client, issuer, achievement["id"])  # warm: the one-statement path is next
    if wrong == "a suspension list":
        # The issuer's own suspension list: enable, issue, disable (the list stays).
        entry: dict[str, Any] = {}
        for enabled in (True, False):
            response = client.patch(
                f"/api/v1/issuers/{issuer.id}",
                json={"suspensionEnabled": enabled},
                headers=issuer.headers,
            )
            assert response.status_code == 200, response.text
            if enabled:
                status = issue(client, issuer, achievement["id"])["credential"]["credentialStatus"]
                entry = status[1]
        issue(client, issuer, achievement["id"])  # warm again with the revocation list
    else:
        entry = issue(client, other_issuer, make_achievement(client, other_issuer)["id"])[
            "credential"
        ]["credentialStatus"]
    wrong_list = uuid.UUID(entry["statusListCredential"].rsplit("/", 1)[1])
    hot_issuing.open_lists.put(
        uuid.UUID(issuer.id), (("revocation", wrong_list),), hot_issuing.OPEN_LIST_HINT_SECONDS
    )
    issued = issue(client, issuer, achievement["id"])["credential"]["credentialStatus"]
    assert issued["statusPurpose"] == "revocation"
    assert issued["statusListCredential"] != entry["statusListCredential"]
    served = client.get(issued["statusListCredential"].removeprefix("https://badges.test"))
    list_credential = served.json()
    assert list_credential["issuer"] == issuer.did
    assert list_credential["credentialSubject"]["statusPurpose"] == "revocation"
