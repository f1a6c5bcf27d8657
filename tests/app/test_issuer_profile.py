"""An issuer manages its profile: ``PATCH /api/v1/issuers/{id}`` and ``GET /api/v1/issuer``
(issue 9, item 21: the README promised it, no endpoint existed)."""

from __future__ import annotations

from typing import Any

from api_support import IssuerHandle, issue, make_achievement
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from app.models import AuditEvent, lengths


def _patch(
    client: TestClient, issuer: IssuerHandle, body: dict[str, Any], headers: dict[str, str]
) -> Any:
    return client.patch(f"/api/v1/issuers/{issuer.id}", json=body, headers=headers)


def test_the_key_reads_its_own_issuer(
    client: TestClient, issuer: IssuerHandle, other_issuer: IssuerHandle
) -> None:
    mine = client.get("/api/v1/issuer", headers=issuer.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["id"] == issuer.id
    assert mine.json()["did"] == issuer.did
    assert client.get("/api/v1/issuer", headers=other_issuer.headers).json()["id"] != issuer.id
    assert client.get("/api/v1/issuer").status_code == 401


def test_an_issuer_changes_its_profile_and_new_credentials_carry_it(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any], engine: Engine
) -> None:
    before = issue(client, issuer, achievement["id"])["credential"]
    changed = _patch(
        client,
        issuer,
        {
            "name": {"en": "Renamed University", "zh-CN": None, "fr": "Université renommée"},
            "description": {"en": "Teaching since 1900."},
            "url": "https://renamed.example",
            "email": "Registry@Renamed.example",
            "image": "https://renamed.example/logo.png",
        },
        issuer.headers,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["name"] == {"en": "Renamed University", "fr": "Université renommée"}
    assert body["description"] == {"en": "Teaching since 1900."}
    assert body["email"] == "registry@renamed.example"
    assert client.get("/api/v1/issuer", headers=issuer.headers).json() == body
    after = issue(client, issuer, achievement["id"])["credential"]
    assert after["issuer"] == {
        "id": issuer.did,
        "type": ["Profile"],
        "name": "Renamed University",
        "url": "https://renamed.example",
        "description": "Teaching since 1900.",
        "email": "registry@renamed.example",
        "image": {"id": "https://renamed.example/logo.png", "type": "Image"},
    }
    assert before["issuer"]["name"] != "Renamed University"  # signed before: unchanged
    for credential in (before, after):  # both verify: the profile is inside the signature
        report = client.post("/api/v1/verify", json=credential).json()
        assert report["verified"], report
    public = client.get(f"/issuers/{issuer.id}").json()
    assert public["name"] == "Renamed University"
    with engine.connect() as connection:
        actions = connection.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_id == issuer.id)
        ).all()
    assert "issuer.update" in actions


def test_null_clears_and_absent_keeps(
    client: TestClient, issuer: IssuerHandle, admin_headers: dict[str, str]
) -> None:
    _patch(client, issuer, {"url": "https://u.example", "email": "a@u.example"}, admin_headers)
    cleared = _patch(client, issuer, {"url": None}, admin_headers)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["url"] is None
    assert cleared.json()["email"] == "a@u.example"


def test_another_issuers_key_gets_404_and_nothing_changes(
    client: TestClient, issuer: IssuerHandle, other_issuer: IssuerHandle
) -> None:
    name = client.get("/api/v1/issuer", headers=issuer.headers).json()["name"]
    response = _patch(client, issuer, {"name": {"en": "Taken over"}}, other_issuer.headers)
    assert response.status_code == 404
    assert client.get("/api/v1/issuer", headers=issuer.headers).json()["name"] == name


def test_values_are_validated_like_creation(
    client: TestClient, issuer: IssuerHandle, admin_headers: dict[str, str]
) -> None:
    cases = [
        ({"url": "ftp://x.example"}, "url"),
        ({"email": "not-an-email"}, "email"),
        ({"name": {"en": "x" * (lengths.NAME + 1)}}, "name"),
        ({"url": "https://x.example/" + "a" * lengths.URL}, "url"),
        ({"name": None}, None),
        ({"defaultLanguage": "fr"}, "defaultLanguage"),
        ({"name": {"en": None, "zh-CN": None}}, "name"),
        ({"jwtAlgorithm": "ES256"}, "jwtAlgorithm"),
        ({"suspensionEnabled": 1}, "suspensionEnabled"),
    ]
    for body, field in cases:
        response = _patch(client, issuer, body, admin_headers)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        if field is not None:
            assert field in response.text, (body, response.text)


def test_the_default_language_may_move_to_a_named_language(
    client: TestClient, issuer: IssuerHandle, admin_headers: dict[str, str]
) -> None:
    response = _patch(client, issuer, {"defaultLanguage": "zh-CN"}, admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["defaultLanguage"] == "zh-CN"


def test_enabling_suspension_gives_new_credentials_a_suspension_entry(
    client: TestClient, issuer: IssuerHandle
) -> None:
    achievement = make_achievement(client, issuer)
    assert not isinstance(
        issue(client, issuer, achievement["id"])["credential"].get("credentialStatus"), list
    )
    response = _patch(client, issuer, {"suspensionEnabled": True}, issuer.headers)
    assert response.status_code == 200, response.text
    status = issue(client, issuer, achievement["id"])["credential"]["credentialStatus"]
    assert [entry["statusPurpose"] for entry in status] == ["revocation", "suspension"]


def test_an_unknown_issuer_is_404_for_the_admin(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.patch(
        "/api/v1/issuers/00000000-0000-4000-8000-000000000000",
        json={"url": "https://x.example"},
        headers=admin_headers,
    )
    assert response.status_code == 404
