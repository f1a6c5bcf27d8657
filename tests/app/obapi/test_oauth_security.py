"""The authorization server's refusals: PKCE (S256 only, required, verified), single-use
short-lived codes bound to their client and redirect URI, exact redirect URIs (no open
redirect), client authentication, no client-credentials grant, registration rules, rate
limits, the consent page's sign-in and origin checks, and one learner's token never reaching
another learner's data."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from api_support import issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ob_support import (
    REDIRECT_URI,
    bearer,
    make_learner,
    pkce,
    register_app,
    registration_body,
)
from sqlalchemy import update

from app.core.ratelimit import TokenBucketLimiter
from app.models import OAuthCode, utcnow
from app.obapi.repository import digest
from app.obapi.schemas import CREDENTIAL_READONLY, CREDENTIAL_UPSERT, PROFILE_READONLY

AUTHORIZE = "/ims/ob/v3p0/oauth/authorize"
TOKEN = "/ims/ob/v3p0/oauth/token"
REGISTER = "/ims/ob/v3p0/oauth/register"
CREDENTIALS = "/ims/ob/v3p0/credentials"


def _redirect_error(response: object, error: str, state: str | None = "xyz") -> None:
    assert response.status_code in (302, 303), response.text  # type: ignore[attr-defined]
    location = response.headers["location"]  # type: ignore[attr-defined]
    assert location.startswith(REDIRECT_URI + "?"), location
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == [error], query
    assert "code" not in query
    if state:
        assert query["state"] == [state]


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_challenge": None, "code_challenge_method": None},  # no PKCE
        {"code_challenge_method": "plain"},
        {"code_challenge_method": None},  # a missing method means plain
        {"code_challenge": "short"},
    ],
)
def test_pkce_s256_is_required(app: FastAPI, client: TestClient, overrides: dict) -> None:
    learner = make_learner(app)
    ob = register_app(client)
    _, challenge = pkce()
    params = ob.authorize_params(challenge, CREDENTIAL_READONLY, **overrides)
    page = client.get(
        AUTHORIZE + "?" + urlencode(params), headers=learner.headers, follow_redirects=False
    )
    # before the learner answered: a page, never a redirect (RFC 9700 §4.11.2)
    assert page.status_code == 400
    assert "location" not in page.headers
    posted = client.post(
        AUTHORIZE,
        data={**params, "decision": "allow"},
        headers=learner.headers,
        follow_redirects=False,
    )
    _redirect_error(posted, "invalid_request")


def test_the_verifier_must_match(app: FastAPI, client: TestClient) -> None:
    learner = make_learner(app)
    ob = register_app(client)
    code, verifier = ob.code_for(learner, CREDENTIAL_READONLY)
    assert ob.exchange(code, None).json()["error"] == "invalid_request"
    wrong, _ = pkce()
    assert ob.exchange(code, wrong).json()["error"] == "invalid_grant"
    assert ob.exchange(code, verifier).status_code == 200  # the failures did not use it up


def test_a_code_works_once_and_its_replay_revokes_its_tokens(
    app: FastAPI, client: TestClient
) -> None:
    learner = make_learner(app)
    ob = register_app(client)
    code, verifier = ob.code_for(learner, PROFILE_READONLY)
    first = ob.exchange(code, verifier)
    assert first.status_code == 200
    access = first.json()["access_token"]
    assert client.get("/ims/ob/v3p0/profile", headers=bearer(access)).status_code == 200
    replay = ob.exchange(code, verifier)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert client.get("/ims/ob/v3p0/profile", headers=bearer(access)).status_code == 401
    assert ob.refresh(first.json()["refresh_token"]).status_code == 400


def test_a_code_expires_after_ten_minutes(app: FastAPI, client: TestClient) -> None:
    learner = make_learner(app)
    ob = register_app(client)
    code, verifier = ob.code_for(learner, PROFILE_READONLY)
    with app.state.sessionmaker() as session:
        row = session.query(OAuthCode).filter_by(code_hash=digest(code)).one_or_none()
        assert row is not None
        assert timedelta(minutes=9) < row.expires_at - row.created_at <= timedelta(minutes=10)
        session.execute(update(OAuthCode).where(OAuthCode.id == row.id).values(expires_at=utcnow()))
        session.commit()
    assert ob.exchange(code, verifier).json()["error"] == "invalid_grant"


def test_codes_are_bound_to_their_client_and_redirect_uri(app: FastAPI, client: TestClient) -> None:
    learner = make_learner(app)
    ob = register_app(client)
    other = register_app(client)
    code, verifier = ob.code_for(learner, CREDENTIAL_READONLY)
    assert other.exchange(code, verifier).json()["error"] == "invalid_grant"
    code, verifier = ob.code_for(learner, CREDENTIAL_READONLY)
    assert (
        ob.exchange(code, verifier, redirect_uri=REDIRECT_URI + "x").json()["error"]
        == "invalid_grant"
    )
    # client authentication: a wrong secret, or none
    code, verifier = ob.code_for(learner, CREDENTIAL_READONLY)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    assert client.post(TOKEN, data=data, auth=(ob.client_id, "wrong")).status_code == 401
    assert client.post(TOKEN, data=data).json()["error"] == "invalid_client"
    no_post_auth = {**data, "client_id": ob.client_id, "client_secret": ob.client_secret}
    assert client.post(TOKEN, data=no_post_auth).json()["error"] == "invalid_client"


def test_no_client_credentials_grant(client: TestClient) -> None:
    ob = register_app(client)
    response = client.post(TOKEN, data={"grant_type": "client_credentials"}, auth=ob.basic)
    assert response.json()["error"] == "unsupported_grant_type"
    refused = client.post(REGISTER, json=registration_body(grant_types=["client_credentials"]))
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_client_metadata"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example.net/callback",
        REDIRECT_URI + "/extra",
        REDIRECT_URI + "?next=https://evil.example.net",
        "https://app.example.org.evil.example.net/callback",
        "//evil.example.net/callback",
        REDIRECT_URI.upper(),
    ],
)
def test_redirect_uris_match_exactly_and_never_redirect_elsewhere(
    app: FastAPI, client: TestClient, redirect_uri: str
) -> None:
    learner = make_learner(app)
    ob = register_app(client)
    _, challenge = pkce()
    params = ob.authorize_params(challenge, CREDENTIAL_READONLY, redirect_uri=redirect_uri)
    for response in (
        client.get(
            AUTHORIZE + "?" + urlencode(params), headers=learner.headers, follow_redirects=False
        ),
        client.post(
            AUTHORIZE,
            data={**params, "decision": "allow"},
            headers=learner.headers,
            follow_redirects=False,
        ),
    ):
        assert response.status_code == 400, response.text
        assert "location" not in response.headers
        assert response.headers["content-type"].startswith("text/html")


def test_unknown_client_and_missing_redirect_uri_get_a_page(
    app: FastAPI, client: TestClient
) -> None:
    learner = make_learner(app)
    ob = register_app(client)
    _, challenge = pkce()
    for overrides in ({"client_id": "nope"}, {"redirect_uri": None}):
        params = ob.authorize_params(challenge, CREDENTIAL_READONLY, **overrides)
        page = client.get(
            AUTHORIZE + "?" + urlencode(params), headers=learner.headers, follow_redirects=False
        )
        assert page.status_code == 400
        assert "location" not in page.headers
    # an unknown scope: a page too (no redirect before the learner answered); once answered,
    # it goes back to the app as invalid_scope
    params = ob.authorize_params(challenge, "https://example.org/scope/everything")
    page = client.get(AUTHORIZE + "?" + urlencode(params), follow_redirects=False)
    assert page.status_code == 400
    assert "location" not in page.headers
    assert "invalid_scope" in page.text
    _redirect_error(
        client.post(
            AUTHORIZE,
            data={**params, "decision": "allow"},
            headers=learner.headers,
            follow_redirects=False,
        ),
        "invalid_scope",
    )


def test_consent_needs_a_signed_in_learner_and_a_same_origin_post(
    app: FastAPI, client: TestClient
) -> None:
    learner = make_learner(app)
    ob = register_app(client)
    _, challenge = pkce()
    params = ob.authorize_params(challenge, CREDENTIAL_READONLY)
    query = urlencode(params)
    anonymous = client.get(AUTHORIZE + "?" + query, follow_redirects=False)
    assert anonymous.status_code == 303
    target = urlsplit(anonymous.headers["location"])
    assert target.path == "/account/sign-in"
    assert parse_qs(target.query)["next"] == [AUTHORIZE + "?" + query]
    posted = client.post(AUTHORIZE, data={**params, "decision": "allow"}, follow_redirects=False)
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/account/sign-in?")
    cross = client.post(
        AUTHORIZE,
        data={**params, "decision": "allow"},
        headers={**learner.headers, "Origin": "https://evil.example.net"},
        follow_redirects=False,
    )
    assert cross.status_code == 403
    assert "location" not in cross.headers


def test_the_consent_page_names_the_app_and_scopes_in_the_learners_language(
    app: FastAPI, client: TestClient
) -> None:
    learner = make_learner(app)
    ob = register_app(client, client_name="徽章背包")
    _, challenge = pkce()
    params = ob.authorize_params(challenge, f"{CREDENTIAL_READONLY} {CREDENTIAL_UPSERT}")
    page = client.get(
        AUTHORIZE + "?" + urlencode(params),
        headers={**learner.headers, "Accept-Language": "zh-CN,zh;q=0.9"},
    )
    assert page.status_code == 200
    html = page.text
    assert '<html lang="zh-CN"' in html
    assert "徽章背包" in html
    assert "app.example.org" in html
    assert "https://app.example.org/logo.png" in html
    assert 'data-scope="credential.readonly"' in html
    assert 'data-scope="credential.upsert"' in html
    assert 'data-scope="profile.readonly"' not in html
    assert "查看您账户中的证书" in html
    assert "允许" in html
    assert "拒绝" in html
    assert "form-action 'self' https://app.example.org" in page.headers["content-security-policy"]
    # the language links keep the app's request (the page is the request's URL)
    switch = re.search(r'href="([^"]+)" hreflang="en"', html)
    assert switch is not None
    english_url = AUTHORIZE + unescape(switch.group(1))
    assert parse_qs(urlsplit(english_url).query)["client_id"] == [ob.client_id]
    english = client.get(english_url, headers=learner.headers)
    assert "See the credentials in your account" in english.text


def test_registration_follows_the_open_badges_rules(client: TestClient) -> None:
    cases = [
        registration_body(client_uri=None),
        registration_body(logo_uri=None),
        registration_body(tos_uri=None),
        registration_body(policy_uri=None),
        registration_body(software_id=None),
        registration_body(software_version=None),
        registration_body(redirect_uris=[]),
        registration_body(logo_uri="https://cdn.example.net/logo.png"),  # another host
        registration_body(redirect_uris=["https://other.example.net/cb"]),
        registration_body(redirect_uris=["http://app.example.org/callback"]),  # not https
        registration_body(scope="https://example.org/scope/other"),
        registration_body(token_endpoint_auth_method="none"),
        registration_body(response_types=["token"]),
    ]
    for body in cases:
        response = client.post(REGISTER, json={k: v for k, v in body.items() if v is not None})
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"] in ("invalid_client_metadata", "invalid_redirect_uri")
    assert (
        client.post(
            REGISTER, content=b"[]", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    # defaults: every scope, both grants
    body = registration_body()
    for name in ("scope", "grant_types", "response_types", "token_endpoint_auth_method"):
        body.pop(name)
    made = client.post(REGISTER, json=body)
    assert made.status_code == 201, made.text
    assert len(made.json()["scope"].split()) == 4


def test_oauth_endpoints_are_rate_limited(app: FastAPI, client: TestClient) -> None:
    app.state.obapi_limiter = TokenBucketLimiter(1, 2)
    assert client.post(REGISTER, json=registration_body()).status_code == 201
    assert client.post(REGISTER, json=registration_body()).status_code == 201
    limited = client.post(REGISTER, json=registration_body())
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert client.post(TOKEN, data={"grant_type": "refresh_token"}).status_code == 429


def test_a_learners_token_never_reaches_another_learners_data(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    alice, bob = make_learner(app), make_learner(app)
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    issue(client, issuer, achievement["id"], recipient={"email": alice.email})
    for_bob = issue(client, issuer, achievement["id"], recipient={"email": "someone@example.org"})
    ob = register_app(client)
    alice_token = bearer(ob.tokens(alice)["access_token"])
    bob_token = bearer(ob.tokens(bob)["access_token"])
    assert (
        client.post(CREDENTIALS, json=for_bob["credential"], headers=bob_token).status_code == 201
    )
    alice_sees = client.get(CREDENTIALS, headers=alice_token)
    bob_sees = client.get(CREDENTIALS, headers=bob_token)
    assert alice_sees.headers["x-total-count"] == "1"
    assert bob_sees.headers["x-total-count"] == "1"
    assert bob_sees.json()["credential"] == [for_bob["credential"]]
    assert for_bob["credential"] not in alice_sees.json()["credential"]
    assert client.get("/ims/ob/v3p0/profile", headers=bob_token).json()["email"] == bob.email
    # a learner's session cookie is no access token
    assert client.get(CREDENTIALS, headers=alice.headers).status_code == 401


def test_connected_apps_list_and_revoke(app: FastAPI, client: TestClient) -> None:
    learner, other = make_learner(app), make_learner(app)
    ob = register_app(client, client_name="Career Portfolio")
    tokens = ob.tokens(learner)
    account_page = client.get("/account", headers=learner.headers)
    assert 'href="/account/apps"' in account_page.text  # the account page's way there
    page = client.get("/account/apps", headers=learner.headers)
    assert page.status_code == 200
    assert "Career Portfolio" in page.text
    assert "Career Portfolio" not in client.get("/account/apps", headers=other.headers).text
    assert client.get("/account/apps", follow_redirects=False).status_code == 303
    revoke = f"/account/apps/{ob.client_id}/revoke"
    cross = client.post(revoke, headers={**learner.headers, "Origin": "https://evil.example.net"})
    assert cross.status_code == 403
    # another learner revoking it changes nothing for this one
    client.post(revoke, headers=other.headers, follow_redirects=False)
    assert client.get(CREDENTIALS, headers=bearer(tokens["access_token"])).status_code == 200
    done = client.post(revoke, headers=learner.headers, follow_redirects=False)
    assert done.status_code == 303
    assert client.get(CREDENTIALS, headers=bearer(tokens["access_token"])).status_code == 401
    assert ob.refresh(tokens["refresh_token"]).status_code == 400
    assert "Career Portfolio" not in client.get("/account/apps", headers=learner.headers).text


def test_profile_name_at_its_column_limit(app: FastAPI, client: TestClient) -> None:
    from app.models import lengths

    learner = make_learner(app)
    ob = register_app(client)
    headers = bearer(
        ob.tokens(learner, "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.update")[
            "access_token"
        ]
    )
    at_limit = client.put(
        "/ims/ob/v3p0/profile",
        json={"type": "Profile", "name": "码" * lengths.NAME},
        headers=headers,
    )
    assert at_limit.status_code == 200, at_limit.text
    over = client.put(
        "/ims/ob/v3p0/profile",
        json={"type": "Profile", "name": "码" * (lengths.NAME + 1)},
        headers=headers,
    )
    assert over.status_code == 400
    assert "name" in over.json()["imsx_description"]


def test_hosted_identity_follows_the_equality_rule_and_the_column_limits() -> None:
    from app.accounts.hosted import CredentialNotVerified, identity
    from app.models import lengths

    issuer = {"id": " https://example.edu/issuers/565049 "}
    assert identity({"issuer": issuer, "id": "http://example.edu/credentials/37%332"}) == (
        "https://example.edu/issuers/565049",
        "http://example.edu/credentials/3732",
    )
    assert (
        identity({"issuer": "https://example.edu/i", "id": "urn:uuid:1"})[0]
        == "https://example.edu/i"
    )
    no_id = identity({"issuer": "https://example.edu/i", "name": "x"})
    assert no_id[1].startswith("urn:sha256:")
    with pytest.raises(CredentialNotVerified):
        identity({"issuer": "https://example.edu/i", "id": "urn:x:" + "a" * lengths.URL})
    with pytest.raises(CredentialNotVerified):
        identity({"id": "urn:uuid:1"})
