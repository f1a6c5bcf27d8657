"""``PATCH /api/v1/issuers/{id}`` beyond the basics (issue 9, items 7 and 21): JSON Merge Patch
``null`` on a whole member, concurrent edits of the translations, and what turning suspension
off means for credentials already issued with a suspension entry."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from api_support import IssuerHandle, issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.issuers import service as issuer_service


def _patch(client: TestClient, issuer: IssuerHandle, body: dict[str, Any]) -> Any:
    response = client.patch(f"/api/v1/issuers/{issuer.id}", json=body, headers=issuer.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _checks(client: TestClient, credential: dict[str, Any]) -> dict[str, str]:
    report = client.post("/api/v1/verify", json=credential).json()
    return {c["id"]: c["status"] for c in report["checks"]}


def test_null_description_removes_every_description(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    # RFC 7396: a member set to null is removed; description is a member like url.
    _patch(client, issuer, {"description": {"en": "Old text.", "zh-CN": "旧的。"}})
    body = _patch(client, issuer, {"description": None})
    assert body["description"] == {}
    assert body["name"]["en"].startswith("Test University")  # names untouched
    credential = issue(client, issuer, achievement["id"])["credential"]
    assert "description" not in credential["issuer"]
    assert _checks(client, credential)["proof"] == "valid"


def test_turning_suspension_off_keeps_it_for_credentials_issued_with_it(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issuer = make_issuer(client, admin_headers, suspensionEnabled=True)
    achievement = make_achievement(client, issuer)
    old = issue(client, issuer, achievement["id"])
    assert [e["statusPurpose"] for e in old["credential"]["credentialStatus"]] == [
        "revocation",
        "suspension",
    ]
    assert _patch(client, issuer, {"suspensionEnabled": False})["suspensionEnabled"] is False
    new = issue(client, issuer, achievement["id"])
    assert new["credential"]["credentialStatus"]["statusPurpose"] == "revocation"
    # The old credential still carries its suspension entry: suspending it still works.
    path = f"/api/v1/credentials/{old['id']}"
    suspended = client.post(f"{path}/suspend", headers=issuer.headers)
    assert suspended.status_code == 200, suspended.text
    assert _checks(client, old["credential"])["suspension"] == "invalid"
    lifted = client.post(f"{path}/unsuspend", headers=issuer.headers)
    assert lifted.status_code == 200, lifted.text
    assert _checks(client, old["credential"])["suspension"] == "valid"
    # The new one has no such entry: 409.
    refused = client.post(f"/api/v1/credentials/{new['id']}/suspend", headers=issuer.headers)
    assert refused.status_code == 409, refused.text
    assert _checks(client, new["credential"])["proof"] == "valid"
    # Turned on again: the credential issued without the entry stays without it.
    assert _patch(client, issuer, {"suspensionEnabled": True})["suspensionEnabled"] is True
    again = client.post(f"/api/v1/credentials/{new['id']}/suspend", headers=issuer.headers)
    assert again.status_code == 409, again.text
    assert len(issue(client, issuer, achievement["id"])["credential"]["credentialStatus"]) == 2


def test_concurrent_profile_edits_are_not_lost(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (set BADGES_TEST_DATABASE_URL)")
    # Both requests read the issuer before either writes (when nothing serialises them): the
    # second commit would then write back translations without the first one's change.
    both_read = threading.Barrier(2, timeout=2)
    real_get = issuer_service.get_issuer

    def slow_get(*args: Any, **kwargs: Any) -> Any:
        found = real_get(*args, **kwargs)
        try:
            both_read.wait()
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(issuer_service, "get_issuer", slow_get)
    bodies = [{"name": {"fr": "Université d'essai"}}, {"description": {"en": "Founded 1900."}}]

    def work(body: dict[str, Any]) -> int:
        with TestClient(app, raise_server_exceptions=False) as own:
            response = own.patch(f"/api/v1/issuers/{issuer.id}", json=body, headers=issuer.headers)
            return response.status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(work, bodies)) == [200, 200]
    monkeypatch.undo()
    final = client.get("/api/v1/issuer", headers=issuer.headers).json()
    assert final["name"].get("fr") == "Université d'essai", final
    assert final["description"].get("en") == "Founded 1900.", final
