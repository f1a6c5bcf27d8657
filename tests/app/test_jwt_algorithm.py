"""VC-JWT: RS256 by default (OB 3.0 integrity.md), ES256/EdDSA per issuer, ``sub`` when known.

https://www.imsglobal.org/spec/ob/v3p0/#jwt-proof: "The signing algorithm MUST be RS256 as a
minimum … Support for other algorithms is permitted but their use limits interoperability."
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from api_support import IssuerHandle, assert_problem, issue, make_achievement, make_issuer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import app as cli

LEARNER_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def _segment(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def _jwt_key_types(client: TestClient, issuer: IssuerHandle) -> list[tuple[str, str]]:
    keys = client.get("/api/v1/keys", headers=issuer.headers)
    assert keys.status_code == 200, keys.text
    return [(k["keyType"], k["state"]) for k in keys.json() if k["purpose"] == "jwt"]


def _issue_jwt(client: TestClient, issuer: IssuerHandle, **overrides: Any) -> str:
    achievement = make_achievement(client, issuer)
    issued = issue(client, issuer, achievement["id"], proof="jwt", **overrides)
    token = client.get(issued["jwtUrl"].replace("https://badges.test", ""))
    assert token.status_code == 200, token.text
    return token.text.strip()


def _verified(client: TestClient, token: str) -> tuple[bool, dict[str, Any]]:
    response = client.post("/api/v1/verify", content=token, headers={"Content-Type": "text/plain"})
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return bool(report["verified"]), report


def test_a_new_issuer_signs_vc_jwts_with_rs256(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issuer = make_issuer(client, admin_headers)
    assert _jwt_key_types(client, issuer) == [("RSA", "active")]
    token = _issue_jwt(client, issuer)
    assert _segment(token, 0)["alg"] == "RS256"
    verified, report = _verified(client, token)
    assert verified, report


@pytest.mark.parametrize(("alg", "key_type"), [("ES256", "P-256"), ("EdDSA", "Ed25519")])
def test_other_algorithms_are_a_per_issuer_choice_that_rotation_keeps(
    client: TestClient, admin_headers: dict[str, str], alg: str, key_type: str
) -> None:
    issuer = make_issuer(client, admin_headers, jwtAlgorithm=alg)
    assert _jwt_key_types(client, issuer) == [(key_type, "active")]
    token = _issue_jwt(client, issuer)
    assert _segment(token, 0)["alg"] == alg
    verified, report = _verified(client, token)
    assert verified, report
    rotated = client.post("/api/v1/keys/rotate", json={"purposes": ["jwt"]}, headers=issuer.headers)
    assert rotated.status_code == 200, rotated.text
    assert sorted(_jwt_key_types(client, issuer)) == [(key_type, "active"), (key_type, "retired")]
    again = _issue_jwt(client, issuer)
    assert _segment(again, 0)["alg"] == alg
    assert _verified(client, again)[0]


def test_an_unknown_algorithm_is_refused_naming_the_field(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/issuers",
        json={"name": {"en": "HMAC University"}, "jwtAlgorithm": "HS256"},
        headers=admin_headers,
    )
    assert_problem(response, 422, "$.jwtAlgorithm")


def test_sub_names_the_learner_did_and_is_absent_for_an_email_only_subject(
    client: TestClient, issuer: IssuerHandle
) -> None:
    with_did = _segment(_issue_jwt(client, issuer, recipient={"did": LEARNER_DID}), 1)
    assert with_did["sub"] == LEARNER_DID
    assert with_did["credentialSubject"]["id"] == LEARNER_DID  # OB 3.0: the payload is the VC
    email_only = _segment(_issue_jwt(client, issuer), 1)
    assert "sub" not in email_only
    subject = email_only["credentialSubject"]
    assert "id" not in subject
    assert subject["identifier"][0]["identityType"] == "emailAddress"


def test_the_cli_takes_the_jwt_algorithm(cli_env: dict[str, str]) -> None:
    env = cli_env
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    refused = runner.invoke(
        cli, ["issuer", "create", "--name", "en=U", "--jwt-alg", "HS256"], env=env
    )
    assert refused.exit_code != 0
    created = runner.invoke(
        cli, ["issuer", "create", "--name", "en=U", "--jwt-alg", "ES256"], env=env
    )
    assert created.exit_code == 0, created.output
    assert "jwt    ES256" in created.output
    issuer = re.search(r"issuer ([0-9a-f-]{36})", created.output)
    assert issuer is not None
    rotated = runner.invoke(cli, ["keys", "rotate", issuer.group(1)], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert re.search(r"^jwt\s+P-256\s", rotated.output, re.MULTILINE), rotated.output
    default = runner.invoke(cli, ["issuer", "create", "--name", "en=V"], env=env)
    assert "jwt    RS256" in default.output


def test_rotation_can_switch_to_any_offered_algorithm(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issuer = make_issuer(client, admin_headers)
    rotated = client.post(
        "/api/v1/keys/rotate",
        json={"purposes": ["jwt"], "jwtKeyType": "Ed25519"},
        headers=issuer.headers,
    )
    assert rotated.status_code == 200, rotated.text
    assert sorted(_jwt_key_types(client, issuer)) == [("Ed25519", "active"), ("RSA", "retired")]
    token = _issue_jwt(client, issuer)
    assert _segment(token, 0)["alg"] == "EdDSA"
    assert _verified(client, token)[0]
