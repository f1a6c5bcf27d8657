"""Review of issue 13's authorization server and Host API: no redirect to an app's URI before
the learner answered the consent page (RFC 9700 §4.11.2), token families revoked on a code or
refresh-token replay, revoked apps' codes void, 4xx (never 500) for malformed query
parameters, registration metadata and deeply nested JSON, a per-account cap on hosted
credentials with paging in SQL, and OB 3.0 equality normalising only unreserved characters."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from api_support import issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ob_support import REDIRECT_URI, bearer, make_learner, pkce, register_app, registration_body

from app.obapi import service as obapi_service
from app.obapi.schemas import CREDENTIAL_READONLY, CREDENTIAL_UPSERT, PROFILE_READONLY, SCOPES

AUTHORIZE = "/ims/ob/v3p0/oauth/authorize"
REGISTER = "/ims/ob/v3p0/oauth/register"
CREDENTIALS = "/ims/ob/v3p0/credentials"
PROFILE = "/ims/ob/v3p0/profile"
ORIGIN = {"Origin": "https://badges.test"}


# --- 1. no open redirect before consent --------------------------------------------------------


def _phishing_app(client: TestClient) -> Any:
    """An app registered (openly) with every URI on the attacker's host."""
    host = "https://phish.example"
    return register_app(
        client,
        client_uri=f"{host}/",
        logo_uri=f"{host}/logo.png",
        tos_uri=f"{host}/terms",
        policy_uri=f"{host}/privacy",
        redirect_uris=[f"{host}/login"],
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"response_type": "x"},
        {"scope": "foo"},
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": "plain"},
    ],
)
def test_authorize_errors_before_consent_are_a_page_never_a_redirect(
    app: FastAPI, client: TestClient, overrides: dict[str, str | None]
) -> None:
    learner = make_learner(app)
    ob = _phishing_app(client)
    _, challenge = pkce()
    params = ob.authorize_params(
        challenge, CREDENTIAL_READONLY, redirect_uri="https://phish.example/login"
    )
    params.update({k: v for k, v in overrides.items() if v is not None})
    for name in [k for k, v in overrides.items() if v is None]:
        params.pop(name, None)
    for headers in (learner.headers, {}):
        response = client.get(
            AUTHORIZE + "?" + urlencode(params), headers=headers, follow_redirects=False
        )
        assert response.status_code == 400, response.text
        assert "location" not in response.headers
        assert response.headers["content-type"].startswith("text/html")
        assert "phish.example/login?" not in response.text


def test_after_the_learner_answers_errors_go_back_to_the_app(
    app: FastAPI, client: TestClient
) -> None:
    learner = make_learner(app)
    ob = register_app(client)
    _, challenge = pkce()
    params = ob.authorize_params(challenge, CREDENTIAL_READONLY)
    denied = client.post(
        AUTHORIZE,
        data={**params, "decision": "deny"},
        headers={**learner.headers, **ORIGIN},
        follow_redirects=False,
    )
    assert denied.status_code == 303
    assert denied.headers["location"].startswith(REDIRECT_URI + "?error=access_denied")


# --- 4. token families -----------------------------------------------------------------------


def test_a_replayed_code_revokes_the_tokens_refreshed_from_it(
    app: FastAPI, client: TestClient
) -> None:
    learner = make_learner(app)
    ob = register_app(client)
    code, verifier = ob.code_for(learner, PROFILE_READONLY)
    first = ob.exchange(code, verifier).json()
    refreshed = ob.refresh(first["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    newer = refreshed.json()
    assert client.get(PROFILE, headers=bearer(newer["access_token"])).status_code == 200
    assert ob.exchange(code, verifier).json()["error"] == "invalid_grant"
    assert client.get(PROFILE, headers=bearer(newer["access_token"])).status_code == 401
    assert ob.refresh(newer["refresh_token"]).status_code == 400


def test_reusing_a_rotated_refresh_token_revokes_the_family(
    app: FastAPI, client: TestClient
) -> None:
    learner = make_learner(app)
    ob = register_app(client)
    first = ob.tokens(learner, PROFILE_READONLY)
    second = ob.refresh(first["refresh_token"]).json()
    third = ob.refresh(second["refresh_token"]).json()
    assert client.get(PROFILE, headers=bearer(third["access_token"])).status_code == 200
    reused = ob.refresh(first["refresh_token"])  # stolen and replayed
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert client.get(PROFILE, headers=bearer(third["access_token"])).status_code == 401
    assert ob.refresh(third["refresh_token"]).status_code == 400
    # another grant of the same learner and app is another family: untouched
    other = ob.tokens(learner, PROFILE_READONLY)
    assert ob.refresh(first["refresh_token"]).status_code == 400
    assert client.get(PROFILE, headers=bearer(other["access_token"])).status_code == 200


# --- 5. revoking an app voids its codes ------------------------------------------------------


def test_revoking_an_app_voids_its_unexchanged_codes(app: FastAPI, client: TestClient) -> None:
    learner = make_learner(app)
    ob = register_app(client)
    ob.tokens(learner, PROFILE_READONLY)  # so that the app is listed
    code, verifier = ob.code_for(learner, PROFILE_READONLY)
    done = client.post(
        f"/account/apps/{ob.client_id}/revoke", headers=learner.headers, follow_redirects=False
    )
    assert done.status_code == 303
    assert ob.exchange(code, verifier).json()["error"] == "invalid_grant"


# --- 6. query parameters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "limit=%C2%B2",  # '²'.isdigit() is True, int('²') fails
        "offset=%C2%B2",
        "limit=%EF%BC%91",  # a fullwidth 1
        "offset=" + "9" * 5000,
        "limit=" + "1" * 5000,
        "limit=-1",
        "limit=+1",
        "limit=1%20",
    ],
)
def test_bad_paging_parameters_are_400(app: FastAPI, client: TestClient, query: str) -> None:
    learner = make_learner(app)
    token = register_app(client).tokens(learner, CREDENTIAL_READONLY)["access_token"]
    response = client.get(CREDENTIALS + "?" + query, headers=bearer(token))
    assert response.status_code == 400, response.text
    assert response.json()["imsx_codeMajor"] == "failure"


# --- 7. registration metadata of the wrong type ----------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uris": [123]},
        {"redirect_uris": "https://app.example.org/callback"},
        {"client_uri": ["https://app.example.org/"]},
        {"logo_uri": {"a": 1}},
        {"scope": 5},
        {"scope": ["x"]},
        {"client_name": 5},
        {"software_id": 5},
        {"software_version": 5},
        {"grant_types": "authorization_code"},
        {"grant_types": [5]},
        {"response_types": [None]},
        {"token_endpoint_auth_method": 5},
        {"contacts": "a@example.org"},
        {"contacts": [5]},
        {"jwks_uri": 5},
        {"jwks": "x"},
        {"jwks": {"keys": "x"}},
    ],
)
def test_registration_metadata_of_the_wrong_type_is_400(
    client: TestClient, overrides: dict[str, Any]
) -> None:
    response = client.post(REGISTER, json=registration_body(**overrides))
    assert response.status_code == 400, response.text
    assert response.json()["error"] in ("invalid_client_metadata", "invalid_redirect_uri")


# --- 8. deeply nested JSON -------------------------------------------------------------------


NESTED = b"[" * 5000 + b"]" * 5000


def test_deeply_nested_json_is_400(app: FastAPI, client: TestClient) -> None:
    json_headers = {"Content-Type": "application/json"}
    registered = client.post(REGISTER, content=NESTED, headers=json_headers)
    assert registered.status_code == 400, registered.text
    learner = make_learner(app)
    scopes = " ".join(SCOPES)
    token = register_app(client).tokens(learner, scopes)["access_token"]
    headers = {**bearer(token), **json_headers}
    nested_object = b'{"a":' * 5000 + b"1" + b"}" * 5000
    for body in (NESTED, nested_object):
        put = client.put(PROFILE, content=body, headers=headers)
        assert put.status_code == 400, put.text
        upserted = client.post(CREDENTIALS, content=body, headers=headers)
        assert upserted.status_code == 400, upserted.text
        assert upserted.json()["imsx_codeMajor"] == "failure"


# --- 10. a cap on hosted credentials, paging in SQL ------------------------------------------


@pytest.fixture
def capped(app: FastAPI) -> Iterator[None]:
    context = app.state.context
    settings = context.settings.model_copy(update={"hosted_max_credentials": 2})
    app.state.context = dataclasses.replace(context, settings=settings)
    try:
        yield
    finally:
        app.state.context = context


def _credentials(client: TestClient, admin_headers: dict[str, str], n: int) -> list[dict]:
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    return [
        issue(client, issuer, achievement["id"], recipient={"email": f"x{i}@example.org"})[
            "credential"
        ]
        for i in range(n)
    ]


def test_hosted_credentials_are_capped_per_account(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str], capped: None
) -> None:
    learner = make_learner(app)
    token = register_app(client).tokens(learner, CREDENTIAL_UPSERT)["access_token"]
    one, two, three = _credentials(client, admin_headers, 3)
    assert client.post(CREDENTIALS, json=one, headers=bearer(token)).status_code == 201
    assert client.post(CREDENTIALS, json=two, headers=bearer(token)).status_code == 201
    refused = client.post(CREDENTIALS, json=three, headers=bearer(token))
    assert refused.status_code == 409, refused.text
    assert "2" in refused.json()["imsx_description"]
    # replacing one the learner already has is no new one
    assert client.post(CREDENTIALS, json=two, headers=bearer(token)).status_code == 200
    # another learner has a cap of their own
    other = make_learner(app)
    other_token = register_app(client).tokens(other, CREDENTIAL_UPSERT)["access_token"]
    assert client.post(CREDENTIALS, json=three, headers=bearer(other_token)).status_code == 201


def test_hosted_credentials_are_capped_in_bytes(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    learner = make_learner(app)
    token = register_app(client).tokens(learner, CREDENTIAL_UPSERT)["access_token"]
    (one,) = _credentials(client, admin_headers, 1)
    size = len(json.dumps(one, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    context = app.state.context
    settings = context.settings.model_copy(update={"hosted_max_bytes": size - 1})
    app.state.context = dataclasses.replace(context, settings=settings)
    try:
        refused = client.post(CREDENTIALS, json=one, headers=bearer(token))
    finally:
        app.state.context = context
    assert refused.status_code == 409, refused.text
    assert client.post(CREDENTIALS, json=one, headers=bearer(token)).status_code == 201


def test_get_credentials_reads_only_the_page(
    app: FastAPI,
    client: TestClient,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    learner = make_learner(app)
    token = register_app(client).tokens(learner, f"{CREDENTIAL_READONLY} {CREDENTIAL_UPSERT}")[
        "access_token"
    ]
    made = _credentials(client, admin_headers, 4)
    for credential in made:
        assert client.post(CREDENTIALS, json=credential, headers=bearer(token)).status_code == 201
    everything = client.get(CREDENTIALS, headers=bearer(token)).json()["credential"]
    assert sorted(c["id"] for c in everything) == sorted(c["id"] for c in made)
    parsed: list[object] = []
    real_loads = json.loads

    class Spy:
        @staticmethod
        def loads(text: Any, *args: Any, **kwargs: Any) -> Any:
            parsed.append(text)
            return real_loads(text, *args, **kwargs)

        dumps = staticmethod(json.dumps)

    monkeypatch.setattr(obapi_service, "json", Spy)
    page = client.get(CREDENTIALS + "?limit=1&offset=1", headers=bearer(token))
    assert page.status_code == 200, page.text
    assert page.headers["x-total-count"] == "4"
    assert page.json()["credential"] == everything[1:2]  # the same order, paged
    assert len(parsed) <= 1
    last = client.get(CREDENTIALS + "?limit=3&offset=3", headers=bearer(token))
    assert last.json()["credential"] == everything[3:]
    beyond = client.get(CREDENTIALS + "?limit=3&offset=999999999", headers=bearer(token))
    assert beyond.status_code == 200
    assert beyond.json()["credential"] == []


# --- Lower: equality normalises only unreserved characters -----------------------------------


def test_hosted_identity_decodes_only_unreserved_characters() -> None:
    from app.accounts.hosted import identity

    issuer = "https://example.edu/issuers/1"
    assert identity({"issuer": issuer, "id": "https://example.edu/a%2Fb"})[1] == (
        "https://example.edu/a%2Fb"
    )
    assert identity({"issuer": issuer, "id": "https://example.edu/a%2fb"})[1] == (
        "https://example.edu/a%2Fb"
    )
    assert identity({"issuer": issuer, "id": "https://example.edu/%7Ejo%41%2D%5F%2E"})[1] == (
        "https://example.edu/~joA-_."
    )
    assert identity({"issuer": issuer, "id": "urn:x:a%3Fb%23c%25"})[1] == "urn:x:a%3Fb%23c%25"
    assert identity({"issuer": "https://example.edu/i%2Fj", "id": "urn:uuid:1"})[0] == (
        "https://example.edu/i%2Fj"
    )
    assert identity({"issuer": issuer, "id": "urn:x:%E4%B8%AD"})[1] == "urn:x:%E4%B8%AD"
