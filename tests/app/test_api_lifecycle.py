"""Key rotation, achievement versioning, DID documents and the JWK Set."""

from __future__ import annotations

import json
from typing import Any

from api_support import IssuerHandle, issue
from fastapi.testclient import TestClient


def _verified(client: TestClient, payload: Any) -> bool:
    report = client.post("/api/v1/verify", json=payload).json()
    return bool(report["verified"])


def test_rotation_keeps_old_credentials_verifying(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    old = issue(client, issuer, achievement["id"], proof="both")
    rotated = client.post("/api/v1/keys/rotate", headers=issuer.headers)
    assert rotated.status_code == 200, rotated.text
    assert {k["purpose"] for k in rotated.json()} == {"data-integrity", "jwt"}
    new = issue(client, issuer, achievement["id"], proof="both")

    old_method = old["credential"]["proof"]["verificationMethod"]
    new_method = new["credential"]["proof"]["verificationMethod"]
    assert old_method != new_method
    assert old_method.startswith(issuer.did + "#z6Mk")

    did_document = client.get(f"/issuers/{issuer.id}/did.json").json()
    published = {vm["id"]: vm for vm in did_document["verificationMethod"]}
    assert {old_method, new_method} <= set(published)
    assert published[old_method]["type"] == "Multikey"
    assert sum(vm["type"] == "JsonWebKey" for vm in published.values()) == 2
    assert set(did_document["assertionMethod"]) == set(published)

    jwks = {k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]}
    assert set(published) <= jwks

    keys = client.get("/api/v1/keys", headers=issuer.headers).json()
    assert sorted(k["state"] for k in keys) == ["active", "active", "retired", "retired"]
    assert all(
        "sealed" not in json.dumps(k).lower() and "private" not in json.dumps(k).lower()
        for k in keys
    )

    for credential in (old, new):
        assert _verified(client, credential["credential"])
        assert _verified(client, credential["jwt"])


def test_rotate_to_rsa_for_jwt(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    response = client.post(
        "/api/v1/keys/rotate",
        json={"purposes": ["jwt"], "jwtKeyType": "RSA"},
        headers=issuer.headers,
    )
    assert [k["keyType"] for k in response.json()] == ["RSA"]
    created = issue(client, issuer, achievement["id"], proof="jwt")
    assert _verified(client, created["jwt"])


def test_editing_an_issued_achievement_creates_a_version(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    path = f"/api/v1/achievements/{achievement['id']}"
    edited = client.patch(
        path, json={"description": "Edited before issuing."}, headers=issuer.headers
    ).json()
    assert edited["version"] == 1

    credential = issue(client, issuer, achievement["id"])
    served_before = client.get(f"/credentials/{credential['id']}.json").content

    renamed = client.patch(
        path, json={"name": "Advanced Data Analysis"}, headers=issuer.headers
    ).json()
    assert renamed["version"] == 2
    assert renamed["id"] == achievement["id"]
    assert renamed["description"] == "Edited before issuing."
    assert client.get(path, headers=issuer.headers).json()["version"] == 2

    assert client.get(f"/credentials/{credential['id']}.json").content == served_before
    v1 = client.get(f"/achievements/{achievement['id']}/v1").json()
    assert v1["name"] == achievement["name"]
    assert v1["id"] == credential["credential"]["credentialSubject"]["achievement"]["id"]
    assert (
        client.get(f"/achievements/{achievement['id']}/v2").json()["name"]
        == "Advanced Data Analysis"
    )

    newer = issue(client, issuer, achievement["id"])
    assert newer["achievementVersion"] == 2
    assert newer["credential"]["name"] == "Advanced Data Analysis"


def test_issuer_profile_and_did(client: TestClient, issuer: IssuerHandle) -> None:
    profile = client.get(f"/issuers/{issuer.id}")
    assert profile.headers["content-type"].startswith("application/ld+json")
    body = profile.json()
    assert body["id"] == issuer.did
    assert body["type"] == ["Profile"]
    assert issuer.did.startswith("did:web:badges.test:issuers:")
    did_document = client.get(f"/issuers/{issuer.id}/did.json").json()
    assert did_document["id"] == issuer.did


def test_result_and_evidence_are_signed(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    description_id = achievement["resultDescription"][0]["id"]
    created = issue(
        client,
        issuer,
        achievement["id"],
        recipient={"did": "did:example:learner-1"},
        results=[{"resultDescription": description_id, "value": "A"}],
        evidence=[{"id": "https://example.org/portfolio/1", "name": "Final project"}],
        creditsEarned=3,
        term="Fall 2026",
    )
    subject = created["credential"]["credentialSubject"]
    assert subject["id"] == "did:example:learner-1"
    assert "identifier" not in subject
    assert subject["result"] == [
        {"type": ["Result"], "resultDescription": description_id, "value": "A"}
    ]
    assert created["credential"]["evidence"][0]["type"] == ["Evidence"]
    assert _verified(client, created["credential"])
