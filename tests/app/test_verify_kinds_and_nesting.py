"""``POST /api/v1/verify`` judges what people bring it (issue 9, items 10 and 14).

* The service's own ``/endorsements/{id}`` document and its ``/status/{list}`` credential
  verify as what they are: an EndorsementCredential and a BitstringStatusListCredential, not
  "must include AchievementCredential" (the ``/verify`` page goes through the same
  ``app.verification.service.verify_document``, which passes no ``expected``).
* A VC-JWT whose header or payload is 10,000 levels deep is an ``invalid`` report (or a 4xx),
  never a 500.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from api_support import IssuerHandle, issue, make_issuer
from fastapi.testclient import TestClient


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).rstrip(b"=").decode("ascii")


DEPTH = 10_000
DEEP = '{"a":' + "[" * DEPTH + "]" * DEPTH + "}"  # 10,000 levels in ~20 KB
HEADER = _b64('{"alg":"EdDSA","typ":"JWT"}')
DEEP_TOKENS = {
    "header": f"{_b64(DEEP)}.{_b64('{}')}.AAAA",
    "payload": f"{HEADER}.{_b64(DEEP)}.AAAA",
}


def _verify(client: TestClient, document: Any) -> dict[str, Any]:
    response = client.post("/api/v1/verify", json=document)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _failing(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["id"], c["detail"]) for c in report["checks"] if c["status"] != "valid"]


def test_the_services_own_endorsement_verifies(
    client: TestClient,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    admin_headers: dict[str, str],
) -> None:
    partner = make_issuer(client, admin_headers)
    created = client.post(
        "/api/v1/endorsements",
        json={
            "targetType": "achievement",
            "targetId": achievement["id"],
            "comment": {"en": "Industry-ready graduates."},
        },
        headers=partner.headers,
    )
    assert created.status_code == 201, created.text
    public = client.get(f"/endorsements/{created.json()[0]['id']}")
    assert public.status_code == 200, public.text
    document = public.json()
    assert "EndorsementCredential" in document["type"]
    report = _verify(client, document)
    assert report["verified"] is True, _failing(report)
    structure = next(c for c in report["checks"] if c["id"] == "structure")
    assert "endorsement" in structure["detail"]


def test_the_services_own_status_list_verifies(
    client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    credential = issue(client, issuer, achievement["id"])["credential"]
    status = credential["credentialStatus"]
    entry = status[0] if isinstance(status, list) else status
    listed = client.get(entry["statusListCredential"].removeprefix("https://badges.test"))
    assert listed.status_code == 200, listed.text
    report = _verify(client, listed.json())
    assert report["verified"] is True, _failing(report)


@pytest.mark.parametrize("where", list(DEEP_TOKENS))
@pytest.mark.parametrize("as_json", [True, False], ids=["json-string", "text-plain"])
def test_a_deeply_nested_jwt_is_a_report_not_a_500(
    client: TestClient, where: str, as_json: bool
) -> None:
    token = DEEP_TOKENS[where]
    if as_json:
        response = client.post("/api/v1/verify", json=token)
    else:
        response = client.post(
            "/api/v1/verify", content=token, headers={"content-type": "text/plain"}
        )
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        report = response.json()
        assert report["verified"] is False
        assert report["checks"][0]["id"] == "format"
        assert report["checks"][0]["status"] == "invalid"
        assert "deep" in report["checks"][0]["detail"]
    else:
        assert response.headers["content-type"].startswith("application/problem+json")


def test_deeply_nested_json_is_a_4xx_not_a_500(client: TestClient) -> None:
    response = client.post(
        "/api/v1/verify", content=DEEP, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    json.loads(response.text)  # a problem document, not a server error page
