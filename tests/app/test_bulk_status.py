"""Bulk revoke / suspend / unsuspend (issue 11, item 5): one re-sign per list, per-id errors."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from api_support import IssuerHandle, assert_problem, issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from app import hot
from app.core.errors import Unprocessable
from app.core.security import IssuerPrincipal
from app.credentials import service
from app.credentials.schemas import BULK_LIMIT, BulkStatusChange
from app.models import AuditEvent, StatusEvent, StatusList
from app.status import service as status
from openbadges.status_list import read_status


def _bulk(
    client: TestClient, issuer: IssuerHandle, action: str, ids: list[str], **extra: Any
) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/credentials/bulk-{action}",
        json={"credentialIds": ids, **extra},
        headers=issuer.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _revisions(engine: Engine, issuer: IssuerHandle) -> dict[tuple[str, uuid.UUID], int]:
    """``(purpose, list id) -> revision`` of the issuer's lists."""
    stmt = select(StatusList.purpose, StatusList.id, StatusList.revision).where(
        StatusList.issuer_id == uuid.UUID(issuer.id)
    )
    with engine.connect() as connection:
        return {(purpose, ident): revision for purpose, ident, revision in connection.execute(stmt)}


def _served_bits(client: TestClient, credentials: list[dict[str, Any]], purpose: str) -> list[int]:
    """Each credential's bit in the served, signed ``purpose`` list (each list fetched once)."""
    lists: dict[str, dict[str, Any]] = {}
    bits = []
    for credential in credentials:
        entries = credential["credentialStatus"]
        entries = entries if isinstance(entries, list) else [entries]
        entry = next(e for e in entries if e["statusPurpose"] == purpose)
        url = entry["statusListCredential"]
        if url not in lists:
            response = client.get(url.removeprefix("https://badges.test"))
            assert response.status_code == 200
            lists[url] = response.json()
        bits.append(read_status(lists[url], entry))
    return bits


def _checks(client: TestClient, credential: dict[str, Any]) -> dict[str, str]:
    report = client.post("/api/v1/verify", json=credential).json()
    return {check["id"]: check["status"] for check in report["checks"]}


def _count(engine: Engine, model: Any, *where: Any) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(model).where(*where)
        ).scalar_one()


def _two_lists(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any], engine: Engine, per: int
) -> list[list[dict[str, Any]]]:
    """``per`` credentials in the issuer's first revocation list, ``per`` in a second one."""
    first = [issue(client, issuer, achievement["id"]) for _ in range(per)]
    with engine.begin() as connection:  # the open list is taken as full from now on
        connection.execute(
            update(StatusList)
            .where(StatusList.issuer_id == uuid.UUID(issuer.id))
            .values(is_full=True)
        )
    hot.clear_all()
    status.forget_reservations()
    return [first, [issue(client, issuer, achievement["id"]) for _ in range(per)]]


def test_bulk_revoke_re_signs_each_list_once_and_the_served_lists_show_it(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any], engine: Engine
) -> None:
    first, second = _two_lists(client, issuer, achievement, engine, 25)
    credentials = [c["credential"] for c in first + second]
    ids = [c["id"] for c in first + second]
    before = _revisions(engine, issuer)
    assert len(before) == 2
    assert _served_bits(client, credentials, "revocation") == [0] * 50

    outcome = _bulk(client, issuer, "revoke", ids, reason="exam board decision")

    assert outcome == {"changed": ids, "unchanged": [], "errors": []}
    after = _revisions(engine, issuer)
    assert {key: after[key] - before[key] for key in before} == dict.fromkeys(before, 1)
    assert _served_bits(client, credentials, "revocation") == [1] * 50
    assert _checks(client, credentials[-1])["revocation"] == "invalid"
    changed = [uuid.UUID(i) for i in ids]
    assert _count(engine, StatusEvent, StatusEvent.credential_id.in_(changed)) == 50
    assert (
        _count(
            engine,
            AuditEvent,
            AuditEvent.subject_id.in_(ids),
            AuditEvent.action == "credential.revocation",
        )
        == 50
    )
    listed = client.get(
        "/api/v1/credentials", params={"status": "revoked", "limit": 100}, headers=issuer.headers
    )
    assert {item["id"] for item in listed.json()["items"]} == set(ids)

    repeat = _bulk(client, issuer, "revoke", ids)
    assert repeat == {"changed": [], "unchanged": ids, "errors": []}
    assert _revisions(engine, issuer) == after


def test_other_issuers_and_unknown_ids_are_per_id_errors_and_untouched(
    client: TestClient,
    issuer: IssuerHandle,
    other_issuer: IssuerHandle,
    achievement: dict[str, Any],
    engine: Engine,
) -> None:
    theirs = issue(client, issuer, achievement["id"])
    mine = issue(client, other_issuer, make_achievement(client, other_issuer)["id"])
    unknown = str(uuid.uuid4())
    before = _revisions(engine, issuer)

    outcome = _bulk(client, other_issuer, "revoke", [theirs["id"], mine["id"], unknown])

    assert outcome["changed"] == [mine["id"]]
    assert outcome["unchanged"] == []
    assert [(e["id"], e["code"]) for e in outcome["errors"]] == [
        (theirs["id"], "not_found"),
        (unknown, "not_found"),
    ]
    assert _revisions(engine, issuer) == before
    path = f"/api/v1/credentials/{theirs['id']}"
    assert client.get(path, headers=issuer.headers).json()["status"] == "active"
    assert _served_bits(client, [theirs["credential"]], "revocation") == [0]


def test_suspend_and_unsuspend_in_bulk_refuse_revoked_ones_per_id(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    issuer = make_issuer(client, admin_headers, suspensionEnabled=True)
    achievement = make_achievement(client, issuer)
    created = [issue(client, issuer, achievement["id"]) for _ in range(3)]
    ids = [c["id"] for c in created]
    credentials = [c["credential"] for c in created]
    revoked = client.post(f"/api/v1/credentials/{ids[0]}/revoke", headers=issuer.headers)
    assert revoked.status_code == 200, revoked.text
    suspension_lists = {k for k in _revisions(engine, issuer) if k[0] == "suspension"}

    before = _revisions(engine, issuer)
    suspended = _bulk(client, issuer, "suspend", [*ids, ids[1]])  # a repeated id counts once
    assert suspended["changed"] == ids[1:]
    assert [(e["id"], e["code"]) for e in suspended["errors"]] == [(ids[0], "credential_revoked")]
    after = _revisions(engine, issuer)
    assert {k: after[k] - before[k] for k in before} == {
        k: int(k in suspension_lists) for k in before
    }
    assert _served_bits(client, credentials, "suspension") == [0, 1, 1]
    assert _checks(client, credentials[1])["suspension"] == "invalid"
    assert _bulk(client, issuer, "suspend", ids[1:])["unchanged"] == ids[1:]

    lifted = _bulk(client, issuer, "unsuspend", ids)
    assert (lifted["changed"], [e["id"] for e in lifted["errors"]]) == (ids[1:], [ids[0]])
    assert _served_bits(client, credentials, "suspension") == [0, 0, 0]
    assert _served_bits(client, credentials, "revocation") == [1, 0, 0]

    final = _bulk(client, issuer, "revoke", ids)
    assert (final["changed"], final["unchanged"]) == (ids[1:], ids[:1])


def test_bulk_suspend_without_a_suspension_entry_is_a_per_id_error(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    created = issue(client, issuer, achievement["id"])
    for action in ("suspend", "unsuspend"):
        outcome = _bulk(client, issuer, action, [created["id"]])
        assert outcome["changed"] == outcome["unchanged"] == []
        assert [e["code"] for e in outcome["errors"]] == ["no_status_entry"]
    assert client.get(f"/api/v1/credentials/{created['id']}", headers=issuer.headers).json()[
        "status"
    ] == ("active")


def test_bulk_revocation_of_a_module_credential_flags_the_program_award(
    client: TestClient, issuer: IssuerHandle
) -> None:
    modules = [make_achievement(client, issuer, achievementType="Course") for _ in range(2)]
    program = client.post(
        "/api/v1/programs",
        json={
            "name": {"en": "Program"},
            "description": {"en": "A program"},
            "modules": [m["id"] for m in modules],
            "achievement": {"achievementType": "Certificate", "criteria": {"narrative": "All."}},
        },
        headers=issuer.headers,
    )
    assert program.status_code == 201, program.text
    held = [issue(client, issuer, m["id"]) for m in modules]
    url = f"/api/v1/programs/{program.json()['id']}/learners/learner@example.org"
    progress = client.get(url, headers=issuer.headers).json()
    assert (progress["awarded"], progress["needsReview"]) == (True, False)

    outcome = _bulk(client, issuer, "revoke", [held[0]["id"]])

    assert outcome["changed"] == [held[0]["id"]]
    progress = client.get(url, headers=issuer.headers).json()
    assert progress["needsReview"] is True
    assert held[0]["id"] in progress["reviewReason"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"credentialIds": []}, "$.credentialIds"),
        ({}, "$"),  # neither credentialIds nor batchId
        ({"credentialIds": [str(uuid.uuid4())], "batchId": str(uuid.uuid4())}, "$"),
        ({"credentialIds": ["not-a-uuid"]}, "$.credentialIds[0]"),
        ({"credentialIds": [str(uuid.uuid4())], "reason": 5}, "$.reason"),
        ({"credentialIds": [str(uuid.uuid4())], "state": "revoked"}, "$.state"),
    ],
)
def test_bad_bulk_bodies_are_422_naming_the_field(
    client: TestClient, issuer: IssuerHandle, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/credentials/bulk-revoke", json=body, headers=issuer.headers)
    assert_problem(response, 422, field)


def test_more_ids_than_the_limit_are_refused(issuer: IssuerHandle, app: FastAPI) -> None:
    """The schema names ``$.credentialIds`` (the test settings' 64 kB body cap stops such a
    request earlier, with a 413); the service refuses as well, for callers other than HTTP."""
    ids = [uuid.uuid4() for _ in range(BULK_LIMIT + 1)]
    with pytest.raises(ValidationError) as invalid:
        BulkStatusChange.model_validate({"credentialIds": [str(i) for i in ids]})
    assert [error["loc"] for error in invalid.value.errors()] == [("credentialIds",)]
    assert BulkStatusChange.model_validate({"credentialIds": [str(i) for i in ids[1:]]})
    principal = IssuerPrincipal(uuid.UUID(issuer.id), uuid.uuid4(), "test")
    with Session(app.state.engine) as session, pytest.raises(Unprocessable) as refused:
        service.change_status_many(session, app.state.context, principal, ids, "revocation", None)
    assert refused.value.field == "$.credentialIds"


@pytest.mark.postgres
def test_concurrent_bulk_calls_over_the_same_lists_do_not_deadlock(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    engine: Engine,
) -> None:
    """Calls lock rows, then lists, in id order, whatever the order of their ids: calls with
    rows of their own in the same two lists, then calls all asking for the same rows, all
    finish, and each credential is changed by exactly one of them."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's (set BADGES_TEST_DATABASE_URL)")
    calls = 8
    lists = _two_lists(client, issuer, achievement, engine, 2 * calls + 4)
    shared = [c["id"] for half in lists for c in half[2 * calls :]]
    before = _revisions(engine, issuer)

    def bulk(ids: list[str]) -> tuple[int, dict[str, Any]]:
        response = TestClient(app, raise_server_exceptions=False).post(
            "/api/v1/credentials/bulk-revoke", json={"credentialIds": ids}, headers=issuer.headers
        )
        return response.status_code, response.json()

    def own(n: int) -> tuple[int, dict[str, Any]]:
        ids = [c["id"] for half in lists for c in half[2 * n : 2 * n + 2]]
        return bulk(ids if n % 2 else ids[::-1])

    def common(n: int) -> tuple[int, dict[str, Any]]:
        return bulk(shared[n:] + shared[:n] if n % 2 else (shared[n:] + shared[:n])[::-1])

    with ThreadPoolExecutor(max_workers=calls) as pool:
        results = list(pool.map(own, range(calls)))
        results += pool.map(common, range(calls))

    assert [code for code, _ in results] == [200] * (2 * calls), results
    changed = [i for _, body in results for i in body["changed"]]
    every = [c["id"] for half in lists for c in half]
    assert sorted(changed) == sorted(every)
    assert all(not body["errors"] for _, body in results)
    after = _revisions(engine, issuer)
    assert {key: after[key] - before[key] for key in before} == dict.fromkeys(before, calls + 1)
    bits = _served_bits(client, [c["credential"] for c in lists[0] + lists[1]], "revocation")
    assert bits == [1] * len(every)
