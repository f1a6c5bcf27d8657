"""Helpers for the API tests: create issuers, achievements and credentials through HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from app.models import Base


@dataclass(frozen=True)
class IssuerHandle:
    """An issuer created for one test, with its API key."""

    id: str
    token: str
    did: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_issuer(
    client: TestClient, admin_headers: dict[str, str], **overrides: Any
) -> IssuerHandle:
    """Create an issuer and an API key for it."""
    body = {
        "name": {"en": f"Test University {uuid.uuid4().hex[:6]}", "zh-CN": "测试大学"},
        **overrides,
    }
    response = client.post("/api/v1/issuers", json=body, headers=admin_headers)
    assert response.status_code == 201, response.text
    issuer = response.json()
    key = client.post(f"/api/v1/issuers/{issuer['id']}/api-keys", headers=admin_headers)
    assert key.status_code == 201, key.text
    return IssuerHandle(id=issuer["id"], token=key.json()["token"], did=issuer["did"])


ACHIEVEMENT = {
    "name": "Data Analysis with Python",
    "description": "Analyses data with pandas.",
    "criteria": {"narrative": "Pass the final project."},
    "achievementType": "MicroCredential",
    "creditsAvailable": 3,
    "inLanguage": "en",
    "tags": ["python"],
    "resultDescription": [{"name": "Final grade", "resultType": "LetterGrade"}],
}


def make_achievement(client: TestClient, issuer: IssuerHandle, **overrides: Any) -> dict[str, Any]:
    """Create an achievement; returns its API representation."""
    response = client.post(
        "/api/v1/achievements", json={**ACHIEVEMENT, **overrides}, headers=issuer.headers
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def issue(
    client: TestClient,
    issuer: IssuerHandle,
    achievement_id: str,
    *,
    headers: dict[str, str] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Issue a credential (201 expected); returns the API representation."""
    body = {
        "achievementId": achievement_id,
        "recipient": {"email": "learner@example.org", "name": "Li Wei"},
        **overrides,
    }
    response = client.post(
        "/api/v1/credentials", json=body, headers={**issuer.headers, **(headers or {})}
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def status_entries(credential: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``credentialStatus`` entries of a signed credential, whichever shape it has.

    One object by default (OB 3.0's [0..1]); an array when the issuer enabled suspension.
    """
    value = credential.get("credentialStatus", [])
    return list(value) if isinstance(value, list) else [value]


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table: to prove a failed request left nothing behind."""
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in Base.metadata.tables.items()
        }


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with ``status`` (and naming ``field``)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    if field is not None:
        named = {body.get("field")} | {e.get("field") for e in body.get("errors", [])}
        assert field in named, body
    return body
