"""Issuing end to end: issue → public JSON → verify → revoke/suspend → status list."""

from __future__ import annotations

import json
from typing import Any

from api_support import (
    IssuerHandle,
    assert_problem,
    issue,
    make_achievement,
    make_issuer,
    row_counts,
    status_entries,
)
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from openbadges.status_list import read_status


def _verify(client: TestClient, payload: Any) -> dict[str, Any]:
    response = client.post("/api/v1/verify", json=payload)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _checks(report: dict[str, Any]) -> dict[str, str]:
    return {check["id"]: check["status"] for check in report["checks"]}


def _status_of(client: TestClient, credential: dict[str, Any], purpose: str) -> int:
    """Read the credential's bit from the served, signed status list with the library."""
    entry = next(e for e in status_entries(credential) if e["statusPurpose"] == purpose)
    path = entry["statusListCredential"].removeprefix("https://badges.test")
    response = client.get(path)
    assert response.status_code == 200
    assert "max-age=" in response.headers["cache-control"]
    list_credential = response.json()
    assert list_credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    return read_status(list_credential, entry)


def test_issued_credential_is_served_byte_for_byte_and_verifies(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    created = issue(client, issuer, achievement["id"])
    credential = created["credential"]
    assert created["url"] == credential["id"] == f"https://badges.test/credentials/{created['id']}"
    assert credential["issuer"]["id"] == issuer.did
    assert credential["credentialSubject"]["identifier"][0]["identityHash"].startswith("sha256$")
    assert "Li Wei" not in json.dumps(credential, ensure_ascii=False)  # the name is not signed
    # OB 3.0: credentialStatus [0..1], one object (the issuer did not enable suspension).
    assert isinstance(credential["credentialStatus"], dict)
    assert credential["credentialStatus"]["statusPurpose"] == "revocation"

    first = client.get(f"/credentials/{created['id']}.json")
    second = client.get(
        f"/credentials/{created['id']}", headers={"Accept": "application/vc+ld+json"}
    )
    assert first.headers["content-type"].startswith("application/vc+ld+json")
    assert first.content == second.content
    assert json.loads(first.content) == credential

    report = _verify(client, json.loads(first.content))
    assert report["verified"] is True, report
    assert _checks(report)["revocation"] == "valid"


def test_revoke_shows_in_the_status_list_at_once(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    created = issue(client, issuer, achievement["id"])
    credential = created["credential"]
    assert _status_of(client, credential, "revocation") == 0

    response = client.post(
        f"/api/v1/credentials/{created['id']}/revoke",
        json={"reason": "issued in error"},
        headers=issuer.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "revoked"
    assert _status_of(client, credential, "revocation") == 1
    report = _verify(client, credential)
    assert report["verified"] is False
    assert _checks(report)["revocation"] == "invalid"
    # Revocation is final.
    again = client.post(f"/api/v1/credentials/{created['id']}/unsuspend", headers=issuer.headers)
    assert_problem(again, 409)


def test_suspend_and_unsuspend(client: TestClient, admin_headers: dict[str, str]) -> None:
    issuer = make_issuer(client, admin_headers, suspensionEnabled=True)
    assert client.get(f"/api/v1/issuers/{issuer.id}", headers=admin_headers).json()[
        "suspensionEnabled"
    ]
    achievement = make_achievement(client, issuer)
    created = issue(client, issuer, achievement["id"])
    credential = created["credential"]
    assert [e["statusPurpose"] for e in credential["credentialStatus"]] == [
        "revocation",
        "suspension",
    ]
    path = f"/api/v1/credentials/{created['id']}"
    assert (
        client.post(
            f"{path}/suspend", json={"reason": "under review"}, headers=issuer.headers
        ).json()["status"]
        == "suspended"
    )
    assert _status_of(client, credential, "suspension") == 1
    assert _checks(_verify(client, credential))["suspension"] == "invalid"

    assert client.post(f"{path}/unsuspend", headers=issuer.headers).json()["status"] == "active"
    assert _status_of(client, credential, "suspension") == 0
    assert _verify(client, credential)["verified"] is True


def test_jwt_and_both_proofs(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    both = issue(client, issuer, achievement["id"], proof="both")
    token = client.get(f"/credentials/{both['id']}.jwt")
    assert token.status_code == 200
    assert token.text == both["jwt"]
    assert token.text.count(".") == 2
    assert _verify(client, token.text)["verified"] is True
    assert _verify(client, both["credential"])["verified"] is True

    jwt_only = issue(client, issuer, achievement["id"], proof="jwt")
    assert "proof" not in jwt_only["credential"]
    assert_problem(client.get(f"/credentials/{jwt_only['id']}.json"), 404)
    negotiated = client.get(
        f"/credentials/{jwt_only['id']}", headers={"Accept": "application/vc+jwt"}
    )
    assert negotiated.text == jwt_only["jwt"]

    di_only = issue(client, issuer, achievement["id"])
    assert_problem(client.get(f"/credentials/{di_only['id']}.jwt"), 404)


def test_verify_by_url_and_refuses_foreign_urls(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    created = issue(client, issuer, achievement["id"])
    assert _verify(client, {"url": created["url"]})["verified"] is True
    response = client.post("/api/v1/verify", json={"url": 42})
    assert_problem(response, 422, "$.url")


def test_tampered_credential_fails_verification(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    credential = issue(client, issuer, achievement["id"])["credential"]
    credential["credentialSubject"]["achievement"]["name"] = "Something grander"
    report = _verify(client, credential)
    assert report["verified"] is False
    assert _checks(report)["proof"] == "invalid"


def test_idempotency_key(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any], engine: Engine
) -> None:
    key = {"Idempotency-Key": "order-42"}
    first = issue(client, issuer, achievement["id"], headers=key)
    before = row_counts(engine)
    body = {
        "achievementId": achievement["id"],
        "recipient": {"email": "learner@example.org", "name": "Li Wei"},
    }
    retry = client.post("/api/v1/credentials", json=body, headers={**issuer.headers, **key})
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["id"] == first["id"]
    assert retry.json()["credential"] == first["credential"]

    different = client.post(
        "/api/v1/credentials",
        json={**body, "recipient": {"email": "other@example.org"}},
        headers={**issuer.headers, **key},
    )
    assert_problem(different, 422)
    assert row_counts(engine) == before


def test_list_filters_and_pagination(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    other = make_achievement(client, issuer, name="Lab Safety")
    ids = [issue(client, issuer, achievement["id"])["id"] for _ in range(3)]
    special = issue(client, issuer, other["id"], recipient={"email": "Sam@Example.org"})["id"]
    client.post(f"/api/v1/credentials/{ids[0]}/revoke", headers=issuer.headers)

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/credentials", params=params, headers=issuer.headers).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted([*ids, special])

    def listed(**params: str) -> set[str]:
        response = client.get("/api/v1/credentials", params=params, headers=issuer.headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert listed(achievementId=other["id"]) == {special}
    assert listed(recipient="sam@example.org") == {special}
    assert listed(status="revoked") == {ids[0]}
    assert listed(status="active") == {*ids[1:], special}
    assert_problem(
        client.get("/api/v1/credentials", params={"cursor": "%%%"}, headers=issuer.headers), 400
    )
    assert_problem(
        client.get("/api/v1/credentials", params={"status": "gone"}, headers=issuer.headers),
        422,
        "query.status",
    )


def test_expired_credential(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    created = issue(
        client,
        issuer,
        achievement["id"],
        validFrom="2020-01-01T00:00:00Z",
        validUntil="2021-01-01T00:00:00Z",
    )
    assert created["status"] == "expired"
    report = _verify(client, created["credential"])
    assert report["verified"] is False
    assert _checks(report)["validity"] == "invalid"


def test_suspending_a_credential_without_a_suspension_entry_is_a_conflict(
    client: TestClient,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    admin_headers: dict[str, str],
) -> None:
    assert (
        client.get(f"/api/v1/issuers/{issuer.id}", headers=admin_headers).json()[
            "suspensionEnabled"
        ]
        is False
    )
    created = issue(client, issuer, achievement["id"])
    path = f"/api/v1/credentials/{created['id']}"
    for action in ("suspend", "unsuspend"):
        problem = assert_problem(client.post(f"{path}/{action}", headers=issuer.headers), 409)
        assert "without a suspension status entry" in problem["detail"]
    assert client.get(path, headers=issuer.headers).json()["status"] == "active"
    # Revocation still works, and verification reads the single entry.
    assert client.post(f"{path}/revoke", headers=issuer.headers).json()["status"] == "revoked"
    assert _status_of(client, created["credential"], "revocation") == 1
    checks = _checks(_verify(client, created["credential"]))
    assert (checks["revocation"], checks["suspension"]) == ("invalid", "valid")


def test_suspension_enabled_must_be_a_boolean(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = {"name": {"en": "Strict"}, "suspensionEnabled": "yes"}
    response = client.post("/api/v1/issuers", json=body, headers=admin_headers)
    assert_problem(response, 422, "$.suspensionEnabled")
