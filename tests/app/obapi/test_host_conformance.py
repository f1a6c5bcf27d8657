"""Every check of 1EdTech's Host conformance (``ob_v3p0/cert/host.md``: Service Provider Read
and Write, and the OAuth 2.0 steps they start with), replayed against the app as the
conformance test system would run them: discovery, dynamic registration, authorization with
PKCE by a signed-in learner on the consent page, token, refresh, revocation, getCredentials
with pagination headers, upsertCredential (equality, refusal of what does not verify),
getProfile/putProfile, and scopes enforced per endpoint."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from api_support import IssuerHandle, issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ob_support import (
    DISCOVERY,
    REDIRECT_URI,
    App,
    bearer,
    make_learner,
    path_of,
    register_app,
)

from app.obapi.schemas import (
    CREDENTIAL_READONLY,
    CREDENTIAL_UPSERT,
    PROFILE_READONLY,
    PROFILE_UPDATE,
    SCOPES,
)
from app.verification import service as verification

BASE = "https://badges.test/ims/ob/v3p0"
CREDENTIALS = "/ims/ob/v3p0/credentials"
PROFILE = "/ims/ob/v3p0/profile"


def links(header: str) -> dict[str, str]:
    """RFC 8288 ``Link``: rel -> URL."""
    found = re.findall(r'<([^>]+)>;\s*rel="([^"]+)"', header)
    assert ", ".join(f'<{u}>; rel="{r}"' for u, r in found) == header, header
    return {rel: url for url, rel in found}


def assert_status_info(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_severity"] == "error"
    assert body["imsx_description"]
    return body


def test_discovery_is_the_service_description_document(client: TestClient) -> None:
    response = client.get(DISCOVERY)  # unprotected
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.0")
    assert document["servers"][0]["url"] == BASE
    assert document["info"]["x-imssf-privacyPolicyUrl"].startswith("https://")
    assert document["info"]["termsOfService"].startswith("https://")
    assert {"/credentials", "/profile", "/discovery"} <= set(document["paths"])
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    assert scheme["type"] == "oauth2"
    assert scheme["x-imssf-registrationUrl"] == BASE + "/oauth/register"
    flow = scheme["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == BASE + "/oauth/authorize"
    assert flow["tokenUrl"] == BASE + "/oauth/token"
    assert flow["refreshUrl"] == BASE + "/oauth/token"
    assert set(flow["scopes"]) == set(SCOPES)
    assert "client_credentials" not in json.dumps(document)


def test_registration_answers_the_client_information(client: TestClient) -> None:
    app = register_app(client)
    body = app.registration
    assert body["client_id"]
    assert body["client_secret"]
    assert body["client_secret_expires_at"] == 0
    assert body["client_name"] == "Backpack Test App"
    assert body["redirect_uris"] == [REDIRECT_URI]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert set(body["grant_types"]) == {"authorization_code", "refresh_token"}
    assert set(body["scope"].split()) == set(SCOPES)


def _issued_to(
    client: TestClient, admin_headers: dict[str, str], email: str, n: int
) -> IssuerHandle:
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    for i in range(n):
        proof = "jwt" if i == 0 else "data-integrity"
        issue(client, issuer, achievement["id"], recipient={"email": email}, proof=proof)
    return issuer


def test_host_service_provider_read_and_write(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    learner = make_learner(app)
    issuer = _issued_to(client, admin_headers, learner.email, 3)
    ob = register_app(client)

    # Authorize (consent, PKCE) and get tokens with every scope; the scopes are sent back
    tokens = ob.tokens(learner)
    assert tokens["token_type"] == "Bearer"
    assert set(tokens["scope"].split()) == set(SCOPES)
    assert tokens["expires_in"] > 0
    assert tokens["refresh_token"]
    headers = bearer(tokens["access_token"])

    # getCredentials: every credential, each one verifies
    everything = client.get(CREDENTIALS, headers=headers)
    assert everything.status_code == 200, everything.text
    assert everything.headers["x-total-count"] == "3"
    listed = everything.json()
    assert len(listed["credential"]) == 2
    assert len(listed["compactJwsString"]) == 1
    with app.state.sessionmaker() as session:
        for item in listed["credential"] + listed["compactJwsString"]:
            assert verification.verify_document(session, item).verified

    # getCredentials with pagination: X-Total-Count, Link first/last always, next/prev as apt
    first = client.get(CREDENTIALS + "?limit=2&offset=0", headers=headers)
    assert first.headers["x-total-count"] == "3"
    rels = links(first.headers["link"])
    assert set(rels) == {"first", "last", "next"}
    assert rels["first"] == BASE + "/credentials?limit=2&offset=0"
    assert rels["last"] == BASE + "/credentials?limit=2&offset=2"
    assert rels["next"] == BASE + "/credentials?limit=2&offset=2"
    page_one = first.json()
    assert len(page_one["credential"]) + len(page_one["compactJwsString"]) == 2
    second = client.get(path_of(rels["next"]), headers=headers)
    rels2 = links(second.headers["link"])
    assert set(rels2) == {"first", "last", "prev"}
    assert rels2["prev"] == BASE + "/credentials?limit=2&offset=0"
    page_two = second.json()
    assert len(page_two["credential"]) + len(page_two["compactJwsString"]) == 1
    seen = {json.dumps(c, sort_keys=True) for p in (page_one, page_two) for c in p["credential"]}
    seen |= {c for p in (page_one, page_two) for c in p["compactJwsString"]}
    assert len(seen) == 3
    future = client.get(CREDENTIALS + "?since=2999-01-01T00:00:00Z", headers=headers)
    assert future.headers["x-total-count"] == "0"
    assert future.json() == {"credential": [], "compactJwsString": []}

    # upsertCredential: created (201), then the equal one replaces it (200), listed after
    other = issue(
        client, issuer, make_achievement(client, issuer)["id"], recipient={"email": "x@example.org"}
    )
    created = client.post(CREDENTIALS, json=other["credential"], headers=headers)
    assert created.status_code == 201, created.text
    assert created.json() == other["credential"]
    replaced = client.post(CREDENTIALS, json=other["credential"], headers=headers)
    assert replaced.status_code == 200, replaced.text
    after = client.get(CREDENTIALS, headers=headers)
    assert after.headers["x-total-count"] == "4"
    assert other["credential"] in after.json()["credential"]  # preserved as sent

    # the same credential as a compact JWS (text/plain): equal by issuer.id + id
    jwt_one = issue(
        client,
        issuer,
        make_achievement(client, issuer)["id"],
        recipient={"email": "y@example.org"},
        proof="jwt",
    )
    jws = client.get(f"/credentials/{jwt_one['id']}.jwt").text.strip()
    as_jws = client.post(
        CREDENTIALS, content=jws, headers={**headers, "Content-Type": "text/plain"}
    )
    assert as_jws.status_code == 201, as_jws.text
    assert as_jws.headers["content-type"].startswith("text/plain")
    assert as_jws.text == jws
    again = client.post(CREDENTIALS, content=jws, headers={**headers, "Content-Type": "text/plain"})
    assert again.status_code == 200
    assert jws in client.get(CREDENTIALS, headers=headers).json()["compactJwsString"]

    # a credential that does not verify is refused with Imsx_StatusInfo, and not kept
    tampered = json.loads(json.dumps(other["credential"]))
    tampered["id"] = tampered["id"] + "-forged"
    refused = client.post(CREDENTIALS, json=tampered, headers=headers)
    assert_status_info(refused, 400)
    assert client.get(CREDENTIALS, headers=headers).headers["x-total-count"] == "5"
    assert_status_info(
        client.post(
            CREDENTIALS, content="not.a.jws", headers={**headers, "Content-Type": "text/plain"}
        ),
        400,
    )

    # getProfile / putProfile
    profile = client.get(PROFILE, headers=headers)
    assert profile.status_code == 200, profile.text
    document = profile.json()
    assert document["type"] == "Profile"
    assert document["id"].startswith("https://badges.test/")
    assert document["email"] == learner.email
    updated = client.put(PROFILE, json={**document, "name": "李伟 Li Wei"}, headers=headers)
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "李伟 Li Wei"
    assert client.get(PROFILE, headers=headers).json()["name"] == "李伟 Li Wei"
    refused_email = client.put(
        PROFILE, json={**document, "email": "not-mine@example.org"}, headers=headers
    )
    assert_status_info(refused_email, 400)


def _token_with(ob: App, learner: Any, *scopes: str) -> dict[str, str]:
    return bearer(ob.tokens(learner, " ".join(scopes))["access_token"])


def test_each_endpoint_requires_its_scope(app: FastAPI, client: TestClient) -> None:
    learner = make_learner(app)
    ob = register_app(client)
    readonly = _token_with(ob, learner, CREDENTIAL_READONLY)
    profile_only = _token_with(ob, learner, PROFILE_READONLY)
    upsert_only = _token_with(ob, learner, CREDENTIAL_UPSERT, PROFILE_UPDATE)
    calls = [
        ("GET", CREDENTIALS, readonly, 200),
        ("GET", CREDENTIALS, profile_only, 403),
        ("POST", CREDENTIALS, readonly, 403),  # a readonly token cannot upsert
        ("GET", PROFILE, profile_only, 200),
        ("GET", PROFILE, readonly, 403),
        ("PUT", PROFILE, profile_only, 403),
        ("PUT", PROFILE, upsert_only, 200),
        ("GET", PROFILE, upsert_only, 403),
    ]
    for method, path, headers, expected in calls:
        body = {"type": "Profile", "name": "N"} if method == "PUT" else None
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == expected, (method, path, response.text)
        if expected == 403:
            assert_status_info(response, 403)
            challenge = response.headers["www-authenticate"]
            assert 'error="insufficient_scope"' in challenge
            assert "scope=" in challenge
    for method, path in (
        ("GET", CREDENTIALS),
        ("POST", CREDENTIALS),
        ("GET", PROFILE),
        ("PUT", PROFILE),
    ):
        for headers in ({}, bearer("not-a-token"), {"Authorization": "Basic abc"}):
            response = client.request(method, path, json={}, headers=headers)
            assert_status_info(response, 401)
            assert response.headers["www-authenticate"].startswith("Bearer")


def test_refresh_rotates_and_revocation_holds(app: FastAPI, client: TestClient) -> None:
    learner = make_learner(app)
    ob = register_app(client)
    tokens = ob.tokens(learner)
    refreshed = ob.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()
    assert new["access_token"] != tokens["access_token"]
    assert new["refresh_token"]
    assert client.get(PROFILE, headers=bearer(new["access_token"])).status_code == 200
    # rotation: the old refresh token (and its pair's access token) no longer work
    assert ob.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert client.get(PROFILE, headers=bearer(tokens["access_token"])).status_code == 401
    # reusing a rotated refresh token revokes its whole grant (RFC 9700 §4.14.2)
    assert client.get(PROFILE, headers=bearer(new["access_token"])).status_code == 401
    assert ob.refresh(new["refresh_token"]).status_code == 400
    # a refresh may narrow the scope, never widen it
    narrowed = ob.refresh(ob.tokens(learner)["refresh_token"], scope=PROFILE_READONLY)
    assert narrowed.status_code == 200
    assert narrowed.json()["scope"] == PROFILE_READONLY
    narrow = narrowed.json()
    assert client.get(CREDENTIALS, headers=bearer(narrow["access_token"])).status_code == 403

    # RFC 7009: revoking the refresh token ends its access token too; calls fail afterwards
    assert ob.revoke(narrow["refresh_token"], "refresh_token").status_code == 200
    assert client.get(PROFILE, headers=bearer(narrow["access_token"])).status_code == 401
    assert ob.refresh(narrow["refresh_token"]).status_code == 400
    # revoking an access token: that call fails afterwards; an unknown token is still a 200
    other = ob.tokens(learner)
    assert ob.revoke(other["access_token"]).status_code == 200
    assert client.get(PROFILE, headers=bearer(other["access_token"])).status_code == 401
    assert ob.revoke("never-issued").status_code == 200
    # another client cannot revoke this client's token
    stranger = register_app(client)
    third = ob.tokens(learner)
    assert stranger.revoke(third["access_token"]).status_code == 400
    assert client.get(PROFILE, headers=bearer(third["access_token"])).status_code == 200


def test_the_code_is_delivered_with_state_and_denial_is_access_denied(
    app: FastAPI, client: TestClient
) -> None:
    learner = make_learner(app)
    ob = register_app(client)
    code, verifier = ob.code_for(learner, CREDENTIAL_READONLY, state="opaque-state-123")
    assert ob.exchange(code, verifier).status_code == 200
    from ob_support import pkce

    _, challenge = pkce()
    denied = ob.consent(learner, ob.authorize_params(challenge, CREDENTIAL_READONLY, "s-2"), "deny")
    assert denied.status_code == 303
    query = parse_qs(urlsplit(denied.headers["location"]).query)
    assert denied.headers["location"].startswith(REDIRECT_URI + "?")
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["s-2"]
    assert "code" not in query
