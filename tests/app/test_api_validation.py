"""Bad input: a 4xx problem body naming the field, and not one row written."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from api_support import IssuerHandle, assert_problem, issue, row_counts
from fastapi.testclient import TestClient
from sqlalchemy import Engine

RECIPIENT = {"email": "learner@example.org"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipient": RECIPIENT}, "$.achievementId"),
        ({"achievementId": "not-a-uuid", "recipient": RECIPIENT}, "$.achievementId"),
        ({"recipient": {"name": "No identifier"}}, "$.recipient"),
        ({"recipient": {"email": "not-an-email"}}, "$.recipient.email"),
        ({"recipient": {"did": "nope"}}, "$.recipient.did"),
        ({"recipient": RECIPIENT, "nickname": "undefined term"}, "$.nickname"),
        ({"recipient": RECIPIENT, "proof": "rsa-signature-2018"}, "$.proof"),
        ({"recipient": RECIPIENT, "validUntil": "2020-01-01T00:00:00"}, "$.validUntil"),
        ({"recipient": RECIPIENT, "validUntil": "2000-01-01T00:00:00Z"}, "$.validUntil"),
        (
            {"recipient": RECIPIENT, "results": [{"resultDescription": "urn:uuid:unknown"}]},
            "$.results[0].resultDescription",
        ),
        ({"recipient": RECIPIENT, "results": [{"status": "Sleeping"}]}, "$.results[0].status"),
        ({"recipient": RECIPIENT, "evidence": [{"id": "javascript:alert(1)"}]}, "$.evidence[0].id"),
    ],
)
def test_bad_issue_requests_name_the_field_and_write_nothing(
    client: TestClient,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    engine: Engine,
    body: dict[str, Any],
    field: str,
) -> None:
    if "achievementId" not in body and field != "$.achievementId":
        body = {"achievementId": achievement["id"], **body}
    before = row_counts(engine)
    response = client.post("/api/v1/credentials", json=body, headers=issuer.headers)
    assert_problem(response, 422, field)
    assert row_counts(engine) == before


def test_unknown_achievement_is_a_field_error(
    client: TestClient, issuer: IssuerHandle, other_issuer: IssuerHandle, engine: Engine
) -> None:
    foreign = client.post(
        "/api/v1/achievements",
        json={"name": "B's", "description": "d", "criteria": {"narrative": "n"}},
        headers=other_issuer.headers,
    ).json()
    before = row_counts(engine)
    response = client.post(
        "/api/v1/credentials",
        json={"achievementId": foreign["id"], "recipient": RECIPIENT},
        headers=issuer.headers,
    )
    assert_problem(response, 422, "$.achievementId")
    assert row_counts(engine) == before


def test_malformed_json_and_wrong_types(client: TestClient, issuer: IssuerHandle) -> None:
    response = client.post(
        "/api/v1/credentials",
        content=b"{not json",
        headers={**issuer.headers, "content-type": "application/json"},
    )
    assert_problem(response, 422)
    response = client.post("/api/v1/achievements", json=[1, 2], headers=issuer.headers)
    assert_problem(response, 422)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "d", "criteria": {"narrative": "n"}}, "$.name"),
        ({"name": "x", "description": "d", "criteria": {}}, "$.criteria"),
        (
            {
                "name": "x",
                "description": "d",
                "criteria": {"narrative": "n"},
                "achievementType": "Trophy",
            },
            "$.achievementType",
        ),
        (
            {
                "name": "x",
                "description": "d",
                "criteria": {"narrative": "n"},
                "inLanguage": "english please",
            },
            "$.inLanguage",
        ),
        (
            {
                "name": "x",
                "description": "d",
                "criteria": {"narrative": "n"},
                "alignment": [{"targetName": "t"}],
            },
            "$.alignment[0].targetUrl",
        ),
        (
            {
                "name": "x",
                "description": "d",
                "criteria": {"narrative": "n"},
                "creditsAvailable": -1,
            },
            "$.creditsAvailable",
        ),
    ],
)
def test_bad_achievements(
    client: TestClient, issuer: IssuerHandle, engine: Engine, body: dict[str, Any], field: str
) -> None:
    before = row_counts(engine)
    assert_problem(
        client.post("/api/v1/achievements", json=body, headers=issuer.headers), 422, field
    )
    assert row_counts(engine) == before


def test_patch_cannot_null_a_required_field(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    response = client.patch(
        f"/api/v1/achievements/{achievement['id']}", json={"name": None}, headers=issuer.headers
    )
    assert_problem(response, 422, "$.name")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "$.name"),
        ({"name": {}}, "$.name"),
        ({"name": {"not a tag!": "x"}}, '$.name["not a tag!"]'),
        ({"name": {"en": "x"}, "defaultLanguage": "fr"}, "$"),
        ({"name": {"en": "x"}, "url": "ftp://x"}, "$.url"),
    ],
)
def test_bad_issuers(
    client: TestClient,
    admin_headers: dict[str, str],
    engine: Engine,
    body: dict[str, Any],
    field: str,
) -> None:
    before = row_counts(engine)
    assert_problem(client.post("/api/v1/issuers", json=body, headers=admin_headers), 422, field)
    assert row_counts(engine) == before


def test_body_size_limit(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any], engine: Engine
) -> None:
    before = row_counts(engine)
    huge = {
        "achievementId": achievement["id"],
        "recipient": RECIPIENT,
        "evidence": [{"narrative": "x" * 9000}] * 10,
    }
    assert_problem(client.post("/api/v1/credentials", json=huge, headers=issuer.headers), 413)

    def chunks() -> Any:
        for _ in range(100):
            yield b"x" * 1000

    streamed = client.post(
        "/api/v1/verify", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(streamed, 413)
    assert row_counts(engine) == before


def test_unknown_ids_are_404_problems(client: TestClient, issuer: IssuerHandle) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    for path in (
        f"/credentials/{missing}.json",
        f"/status/{missing}",
        f"/issuers/{missing}",
        f"/issuers/{missing}/did.json",
    ):
        assert_problem(client.get(path), 404)
    assert_problem(client.get("/credentials/not-a-uuid.json"), 422)
    assert_problem(
        client.post(f"/api/v1/credentials/{missing}/revoke", headers=issuer.headers), 404
    )


def test_failed_signing_consumes_no_status_index(
    client: TestClient,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failure after the status slots were taken rolls them back with the rest."""
    from app.signing_keys import service as keys
    from openbadges.errors import UndefinedTermError

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise UndefinedTermError("undefined term", path="$.credentialSubject.nickname")

    monkeypatch.setattr(keys, "sign_data_integrity_with_digest", refuse)
    before = row_counts(engine)
    body = {"achievementId": achievement["id"], "recipient": RECIPIENT}
    response = client.post("/api/v1/credentials", json=body, headers=issuer.headers)
    assert_problem(response, 422, "$.credentialSubject.nickname")
    assert row_counts(engine) == before
    monkeypatch.undo()
    issue(client, issuer, achievement["id"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipient": {"email": "learner@example.org", "name": "Li\x00Wei"}}, "$.recipient.name"),
        ({"recipient": {"did": "did:key:z6Mk\x00"}}, "$.recipient.did"),
        ({"recipient": RECIPIENT, "term": "Fall\x00"}, "$.term"),
        ({"recipient": RECIPIENT, "validFrom": "0001-01-01T00:00:00+01:00"}, "$.validFrom"),
        (
            {"recipient": RECIPIENT, "activityEndDate": "9999-12-31T23:59:59-14:00"},
            "$.activityEndDate",
        ),
    ],
)
def test_nul_characters_and_unrepresentable_dates_are_field_errors(
    client: TestClient,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    engine: Engine,
    body: dict[str, Any],
    field: str,
) -> None:
    # PostgreSQL text refuses U+0000 and datetime.astimezone overflows: both were 500s.
    before = row_counts(engine)
    response = client.post(
        "/api/v1/credentials",
        json={"achievementId": achievement["id"], **body},
        headers=issuer.headers,
    )
    assert_problem(response, 422, field)
    assert row_counts(engine) == before


def test_nul_in_other_bodies_and_queries_is_a_client_error(
    client: TestClient, issuer: IssuerHandle, admin_headers: dict[str, str]
) -> None:
    achievement = {"name": "N\x00", "description": "d", "criteria": {"narrative": "n"}}
    response = client.post("/api/v1/achievements", json=achievement, headers=issuer.headers)
    assert_problem(response, 422, "$.name")
    response = client.post("/api/v1/issuers", json={"name": {"en": "U\x00"}}, headers=admin_headers)
    assert_problem(response, 422, "$.name")
    response = client.get(
        "/api/v1/credentials", params={"recipient": "a\x00@b.org"}, headers=issuer.headers
    )
    assert response.status_code in (200, 422), response.text


@pytest.mark.parametrize(
    "created",
    ["2020-01-01T00:00:00", "9999-12-31T23:59:59-14:00"],
)
def test_forged_cursor_timestamps_are_400(
    client: TestClient, issuer: IssuerHandle, created: str
) -> None:
    raw = f"{created}|00000000-0000-4000-8000-000000000000".encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = client.get("/api/v1/credentials", params={"cursor": cursor}, headers=issuer.headers)
    assert_problem(response, 400, "query.cursor")


def test_out_of_range_achievement_version_is_422(
    client: TestClient, achievement: dict[str, Any]
) -> None:
    response = client.get(f"/achievements/{achievement['id']}/v{2**63}")
    assert_problem(response, 422, "path.version")
