"""Service Consumer (Write) against our own Host running as a second instance (issue 13, item
4): a learner signed in here (``https://badges.test``) connects the other host
(``http://127.0.0.1:<port>``: discovery, dynamic registration, authorization with PKCE on the
host's consent page, token), then sends credentials there (upsertCredential) and updates the
profile (putProfile). Both sides are the real code: the consumer's requests go over HTTP
through its SSRF guard, the host verifies what it gets."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from api_support import IssuerHandle, issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from obconsumer_support import Host
from sqlalchemy import select, update

from app.accounts import session as account_session
from app.core.ratelimit import TokenBucketLimiter
from app.models import (
    HostedCredential,
    LearnerAccount,
    LearnerEmail,
    OAuthClient,
    OAuthToken,
    ObAuthorization,
    ObConnection,
    ObHostClient,
    utcnow,
)
from app.obapi.schemas import CREDENTIAL_READONLY
from app.obconsumer import service

CONSUMER = "https://badges.test"
CALLBACK = CONSUMER + "/account/hosts/callback"


@dataclass
class Learner:
    account_id: uuid.UUID
    email: str
    cookie: str


def make_learner(app: FastAPI, prefix: str) -> Learner:
    email = f"{prefix}.{uuid.uuid4().hex[:10]}@example.org"
    with app.state.sessionmaker() as session:
        account = LearnerAccount(id=uuid.uuid4(), language="en")
        session.add(account)
        session.flush()
        session.add(LearnerEmail(account_id=account.id, email=email, verified_at=utcnow()))
        token = account_session.start(session, account.id)
        session.commit()
        return Learner(account.id, email, token)


def consumer_browser(app: FastAPI, learner: Learner) -> TestClient:
    browser = TestClient(
        app, base_url=CONSUMER, raise_server_exceptions=False, follow_redirects=False
    )
    browser.cookies.set(account_session.COOKIE, learner.cookie, domain="badges.test")
    return browser


def host_browser(host: Host, learner: Learner) -> httpx.Client:
    return httpx.Client(
        base_url=host.base,
        cookies={account_session.COOKIE: learner.cookie},
        follow_redirects=False,
        timeout=30,
    )


@dataclass
class World:
    consumer: FastAPI
    host: Host
    learner: Learner  # signed in on the consumer
    host_learner: Learner  # the same person's account at the host
    browser: TestClient
    issuer: IssuerHandle
    credential: dict[str, Any]  # issued by the consumer to the learner, JSON-LD and JWT


@pytest.fixture
def world(
    consumer: FastAPI, host: Host, client: TestClient, admin_headers: dict[str, str]
) -> World:
    learner = make_learner(consumer, "sender")
    host_learner = make_learner(host.app, "holder")
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    credential = issue(
        client, issuer, achievement["id"], proof="both", recipient={"email": learner.email}
    )
    return World(
        consumer,
        host,
        learner,
        host_learner,
        consumer_browser(consumer, learner),
        issuer,
        credential,
    )


def start(world: World) -> str:
    """Press Connect: the consumer discovers, registers and answers 303 to the host's
    authorization page."""
    answer = world.browser.post("/account/hosts/connect", data={"apiRoot": world.host.api_root})
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(world.host.api_root + "/oauth/authorize?"), location
    return location


def consent(world: World, location: str, decision: str = "allow") -> str:
    """The host's learner opens the consent page and answers it; the redirect to our callback."""
    with host_browser(world.host, world.host_learner) as browser:
        page = browser.get(location)
        assert page.status_code == 200, page.text
        params = dict(parse_qs(urlsplit(location).query))
        form = {key: values[0] for key, values in params.items()}
        answer = browser.post(
            "/ims/ob/v3p0/oauth/authorize",
            data={**form, "decision": decision},
            headers={"Origin": world.host.base},
        )
    assert answer.status_code == 303, answer.text
    back = answer.headers["location"]
    assert back.startswith(CALLBACK + "?"), back
    return back


def callback(world: World, back: str) -> Any:
    return world.browser.get(back.removeprefix(CONSUMER))


def connect(world: World) -> uuid.UUID:
    answer = callback(world, consent(world, start(world)))
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/account/hosts?connected=1"
    with world.consumer.state.sessionmaker() as session:
        connection = session.scalars(
            select(ObConnection).where(ObConnection.account_id == world.learner.account_id)
        ).one()
        return connection.id


def send(
    world: World, connection_id: uuid.UUID, form: str = "json", choice: str | None = None
) -> Any:
    choice = choice or f"issued:{world.credential['id']}"
    return world.browser.post(
        f"/account/hosts/{connection_id}/send", data={"credential": choice, "form": form}
    )


def result_of(page: Any) -> str:
    marker = 'data-result="'
    assert marker in page.text, page.text
    return page.text.split(marker, 1)[1].split('"', 1)[0]


def host_credentials(world: World) -> dict[str, Any]:
    """What the host serves an app that reads the learner's credentials (getCredentials): a
    reader app registers there, the host's learner allows it, it calls the API."""
    http = TestClient(world.host.app, base_url=world.host.base, follow_redirects=False)
    site = "https://reader.example"
    registered = http.post(
        "/ims/ob/v3p0/oauth/register",
        json={
            "client_name": "Reader",
            "client_uri": site + "/",
            "logo_uri": site + "/logo.png",
            "tos_uri": site + "/tos",
            "policy_uri": site + "/privacy",
            "software_id": "reader",
            "software_version": "1",
            "redirect_uris": [site + "/cb"],
            "scope": CREDENTIAL_READONLY,
        },
    )
    assert registered.status_code == 201, registered.text
    reader = registered.json()
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    params = {
        "response_type": "code",
        "client_id": reader["client_id"],
        "redirect_uri": site + "/cb",
        "scope": CREDENTIAL_READONLY,
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    cookie = {"Cookie": f"{account_session.COOKIE}={world.host_learner.cookie}"}
    allowed = http.post(
        "/ims/ob/v3p0/oauth/authorize", data={**params, "decision": "allow"}, headers=cookie
    )
    assert allowed.status_code == 303, allowed.text
    code = parse_qs(urlsplit(allowed.headers["location"]).query)["code"][0]
    token = http.post(
        "/ims/ob/v3p0/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": site + "/cb",
            "code_verifier": verifier,
        },
        auth=(reader["client_id"], reader["client_secret"]),
    )
    assert token.status_code == 200, token.text
    answer = http.get(
        "/ims/ob/v3p0/credentials",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    result["total"] = int(answer.headers["X-Total-Count"])
    return result


# --- the whole flow -----------------------------------------------------------------------


def test_a_learner_connects_a_host_and_sends_a_credential_which_a_second_send_replaces(
    world: World,
) -> None:
    connection_id = connect(world)
    page = world.browser.get("/account/hosts?connected=1")
    assert page.status_code == 200
    assert f'data-connection="{connection_id}"' in page.text
    assert world.host.api_root in page.text
    # the Connect form's redirect goes to another origin: the page's form-action allows it
    assert "form-action 'self' https: http:" in page.headers["content-security-policy"]

    first = send(world, connection_id)
    assert first.status_code == 200, first.text
    assert result_of(first) == "created"
    served = host_credentials(world)
    assert served["total"] == 1
    assert [c["id"] for c in served["credential"]] == [world.credential["credential"]["id"]]

    second = send(world, connection_id)
    assert result_of(second) == "replaced"
    assert host_credentials(world)["total"] == 1  # replaced, not duplicated

    third = send(world, connection_id, form="jwt")  # the compact JWS, as text/plain
    assert result_of(third) == "replaced", third.text
    served = host_credentials(world)
    assert served["total"] == 1
    assert served["compactJwsString"] == [world.credential["jwt"]]


def test_registration_is_once_per_host_with_our_uris_on_one_host(world: World) -> None:
    connect(world)
    other = make_learner(world.consumer, "second")
    world2 = World(
        world.consumer,
        world.host,
        other,
        make_learner(world.host.app, "holder2"),
        consumer_browser(world.consumer, other),
        world.issuer,
        world.credential,
    )
    connect(world2)
    with world.consumer.state.sessionmaker() as session:
        rows = session.scalars(
            select(ObHostClient).where(ObHostClient.api_root == world.host.api_root)
        ).all()
        assert len(rows) == 1
        assert rows[0].redirect_uri == CALLBACK
        assert b"secret" not in rows[0].sealed_client_secret
    with world.host.app.state.sessionmaker() as session:
        clients = [
            json.loads(c.client_metadata)
            for c in session.scalars(select(OAuthClient))
            if CALLBACK in json.loads(c.client_metadata).get("redirect_uris", [])
        ]
    assert len(clients) == 1
    metadata = clients[0]
    for name in ("client_uri", "logo_uri", "tos_uri", "policy_uri"):
        assert urlsplit(metadata[name]).netloc == "badges.test", metadata
    assert metadata["token_endpoint_auth_method"] == "client_secret_basic"
    assert set(metadata["scope"].split()) == set(service.WANTED_SCOPES)
    logo = world.browser.get(service.LOGO_PATH)
    assert logo.status_code == 200
    assert logo.headers["content-type"].startswith("image/svg+xml")


def test_tokens_are_sealed_at_rest(world: World) -> None:
    connection_id = connect(world)
    with world.host.app.state.sessionmaker() as session:
        hashes = {t.access_token_hash for t in session.scalars(select(OAuthToken))}
    with world.consumer.state.sessionmaker() as session:
        connection = session.get(ObConnection, connection_id)
        assert connection is not None
        access = service._open_token(
            world.consumer.state.context, connection.id, b"access", connection.sealed_access_token
        )
        assert access.encode() not in connection.sealed_access_token
    assert hashlib.sha256(access.encode()).hexdigest() in hashes


def test_a_credential_the_host_does_not_verify_is_refused_and_the_refusal_shown(
    world: World,
) -> None:
    connection_id = connect(world)
    tampered = dict(world.credential["credential"])
    tampered["name"] = "Tampered " + str(tampered.get("name", ""))
    with world.consumer.state.sessionmaker() as session:
        row = HostedCredential(
            account_id=world.learner.account_id,
            issuer_iri=world.issuer.did,
            credential_iri="urn:uuid:" + str(uuid.uuid4()),
            document=json.dumps(tampered),
            compact_jws=None,
            source="upload",
        )
        session.add(row)
        session.commit()
        hosted_id = row.id
    answer = send(world, connection_id, choice=f"hosted:{hosted_id}")
    assert answer.status_code == 502, answer.text
    assert result_of(answer) == "refused"
    assert "does not verify" in answer.text  # the host's imsx_description
    assert host_credentials(world)["total"] == 0


def test_an_access_token_the_host_no_longer_takes_is_refreshed_once(world: World) -> None:
    connection_id = connect(world)
    with world.host.app.state.engine.begin() as connection:
        connection.execute(
            update(OAuthToken).values(access_expires_at=utcnow() - timedelta(seconds=1))
        )
    with world.consumer.state.sessionmaker() as session:
        before = session.get(ObConnection, connection_id)
        assert before is not None
        old = before.sealed_access_token
    answer = send(world, connection_id)
    assert result_of(answer) == "created", answer.text
    with world.consumer.state.sessionmaker() as session:
        after = session.get(ObConnection, connection_id)
        assert after is not None
        assert after.sealed_access_token != old


def test_a_refused_refresh_shows_a_refusal(world: World) -> None:
    connection_id = connect(world)
    with world.host.app.state.engine.begin() as connection:
        connection.execute(update(OAuthToken).values(revoked_at=utcnow()))
    answer = send(world, connection_id)
    assert result_of(answer) == "refused"
    assert "HTTP 401" in answer.text


def test_the_profile_is_updated_at_the_host(world: World) -> None:
    connection_id = connect(world)
    answer = world.browser.post(
        f"/account/hosts/{connection_id}/profile",
        data={"name": "Li Wei", "email": ""},
    )
    assert result_of(answer) == "updated", answer.text
    with world.host.app.state.sessionmaker() as session:
        account = session.get(LearnerAccount, world.host_learner.account_id)
        assert account is not None
        assert account.name == "Li Wei"
    # an address the host has not verified for its learner: refused there, and shown
    refused = world.browser.post(
        f"/account/hosts/{connection_id}/profile",
        data={"name": "Li Wei", "email": world.learner.email},
    )
    assert result_of(refused) == "refused"
    assert "verified" in refused.text


def test_a_state_is_single_use_and_bound_to_the_learner(world: World) -> None:
    back = consent(world, start(world))
    # another learner's browser cannot complete it
    intruder = make_learner(world.consumer, "intruder")
    other = consumer_browser(world.consumer, intruder).get(back.removeprefix(CONSUMER))
    assert other.status_code == 400
    assert "data-error" in other.text
    # ... and the state is spent: the rightful learner must start again
    replay = callback(world, back)
    assert replay.status_code == 400
    with world.consumer.state.sessionmaker() as session:
        assert (
            session.scalars(
                select(ObConnection).where(ObConnection.account_id == world.learner.account_id)
            ).first()
            is None
        )


def test_a_replayed_or_altered_state_is_refused_and_nothing_is_stored(world: World) -> None:
    back = consent(world, start(world))
    query = parse_qs(urlsplit(back).query)
    altered = "/account/hosts/callback?" + urlencode(
        {"code": query["code"][0], "state": query["state"][0] + "x"}
    )
    assert world.browser.get(altered).status_code == 400
    done = callback(world, back)
    assert done.status_code == 303
    replay = callback(world, back)
    assert replay.status_code == 400
    assert "already" in replay.text


def test_a_learner_who_refuses_at_the_host_gets_a_clear_page(world: World) -> None:
    back = consent(world, start(world), decision="deny")
    assert "error=access_denied" in back
    answer = callback(world, back)
    assert answer.status_code == 400
    assert "did not allow" in answer.text
    with world.consumer.state.sessionmaker() as session:
        assert (
            session.scalars(
                select(ObConnection).where(ObConnection.account_id == world.learner.account_id)
            ).first()
            is None
        )
        assert (
            session.scalars(
                select(ObAuthorization).where(
                    ObAuthorization.account_id == world.learner.account_id
                )
            ).first()
            is None
        )


def test_a_failed_code_exchange_stores_nothing(world: World) -> None:
    back = consent(world, start(world))
    query = parse_qs(urlsplit(back).query)
    wrong = "/account/hosts/callback?" + urlencode(
        {"code": "not-the-code", "state": query["state"][0]}
    )
    answer = world.browser.get(wrong)
    assert answer.status_code == 400
    assert "did not give a token" in answer.text
    with world.consumer.state.sessionmaker() as session:
        assert (
            session.scalars(
                select(ObConnection).where(ObConnection.account_id == world.learner.account_id)
            ).first()
            is None
        )


def test_disconnect_revokes_at_the_host(world: World) -> None:
    connection_id = connect(world)
    answer = world.browser.post(f"/account/hosts/{connection_id}/disconnect")
    assert answer.status_code == 303
    with world.consumer.state.sessionmaker() as session:
        assert session.get(ObConnection, connection_id) is None
    with world.host.app.state.sessionmaker() as session:
        tokens = session.scalars(
            select(OAuthToken).where(OAuthToken.account_id == world.host_learner.account_id)
        ).all()
        assert tokens
        assert all(t.revoked_at is not None for t in tokens)


def test_another_learners_connection_is_not_found(world: World) -> None:
    connection_id = connect(world)
    intruder = consumer_browser(world.consumer, make_learner(world.consumer, "intruder"))
    for action in ("send", "profile", "disconnect"):
        answer = intruder.post(
            f"/account/hosts/{connection_id}/{action}",
            data={"credential": f"issued:{world.credential['id']}"},
        )
        assert answer.status_code == 404, (action, answer.text)


def test_a_credential_of_another_learner_cannot_be_sent(world: World, client: TestClient) -> None:
    connection_id = connect(world)
    achievement = make_achievement(client, world.issuer)
    foreign = issue(
        client, world.issuer, achievement["id"], recipient={"email": "someone@example.org"}
    )
    answer = send(world, connection_id, choice=f"issued:{foreign['id']}")
    assert answer.status_code == 404


def test_a_private_host_is_refused_without_allow_private_fetch(app: FastAPI, host: Host) -> None:
    learner = make_learner(app, "careful")
    answer = consumer_browser(app, learner).post(
        "/account/hosts/connect", data={"apiRoot": host.api_root}
    )
    assert answer.status_code == 400
    assert "not a public address" in answer.text or "Only https" in answer.text


@pytest.mark.parametrize(
    "root",
    [
        "ftp://host.example/x",
        "https://user:pw@host.example/x",
        "https://h.example/x?y=1",
        "not a url",
    ],
)
def test_a_bad_api_root_is_a_400_naming_it(world: World, root: str) -> None:
    answer = world.browser.post("/account/hosts/connect", data={"apiRoot": root})
    assert answer.status_code == 400
    assert "data-error" in answer.text


def test_anonymous_callers_are_sent_to_sign_in_or_refused(consumer: FastAPI) -> None:
    anonymous = TestClient(consumer, base_url=CONSUMER, follow_redirects=False)
    page = anonymous.get("/account/hosts")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/account/sign-in?next=")
    assert (
        anonymous.post("/account/hosts/connect", data={"apiRoot": "https://x.example"}).status_code
        == 401
    )
    assert anonymous.get("/account/hosts/callback?state=x&code=y").status_code == 401


def test_a_cross_origin_post_is_refused(world: World) -> None:
    answer = world.browser.post(
        "/account/hosts/connect",
        data={"apiRoot": world.host.api_root},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403


def test_the_authorization_request_uses_pkce_s256_and_asks_for_upsert(world: World) -> None:
    query = parse_qs(urlsplit(start(world)).query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["redirect_uri"] == [CALLBACK]
    assert service.CREDENTIAL_UPSERT in query["scope"][0].split()
    assert len(query["state"][0]) >= 43
    with world.consumer.state.sessionmaker() as session:
        pending = session.scalars(
            select(ObAuthorization).where(ObAuthorization.account_id == world.learner.account_id)
        ).one()
        assert pending.state_hash == hashlib.sha256(query["state"][0].encode()).hexdigest()


def test_an_expired_authorization_is_refused(world: World) -> None:
    back = consent(world, start(world))
    with world.consumer.state.engine.begin() as connection:
        connection.execute(
            update(ObAuthorization)
            .where(ObAuthorization.account_id == world.learner.account_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    answer = callback(world, back)
    assert answer.status_code == 400
    assert "expired" in answer.text


def test_a_token_known_to_have_expired_is_refreshed_before_the_call(world: World) -> None:
    connection_id = connect(world)
    with world.consumer.state.engine.begin() as connection:
        connection.execute(
            update(ObConnection)
            .where(ObConnection.id == connection_id)
            .values(access_expires_at=utcnow() - timedelta(seconds=1))
        )
    with world.host.app.state.sessionmaker() as session:
        before = set(session.scalars(select(OAuthToken.id)))
    answer = send(world, connection_id)
    assert result_of(answer) == "created", answer.text
    with world.host.app.state.sessionmaker() as session:
        live = session.scalars(select(OAuthToken).where(OAuthToken.revoked_at.is_(None))).all()
        assert {t.id for t in live} - before  # a new pair, from the refresh
    with world.consumer.state.sessionmaker() as session:
        after = session.get(ObConnection, connection_id)
        assert after is not None
        assert after.access_expires_at is not None
        assert after.access_expires_at > utcnow()


def _secrets(world: World, connection_id: uuid.UUID) -> set[str]:
    """The client secret and the connection's tokens, as the consumer holds them now."""
    context = world.consumer.state.context
    with world.consumer.state.sessionmaker() as session:
        row = session.scalars(
            select(ObHostClient).where(ObHostClient.api_root == world.host.api_root)
        ).one()
        connection = session.get(ObConnection, connection_id)
        assert connection is not None
        assert connection.sealed_refresh_token is not None
        return {
            service._client_secret(context, row),
            service._open_token(context, connection.id, b"access", connection.sealed_access_token),
            service._open_token(
                context, connection.id, b"refresh", connection.sealed_refresh_token
            ),
        }


def _logged_secrets(
    world: World, caplog: pytest.LogCaptureFixture
) -> tuple[set[str], list[logging.LogRecord]]:
    """Every logger at DEBUG (httpx and httpcore included) through connect, a send that
    refreshes, and disconnect: the secrets held on the way and the records logged."""
    caplog.set_level(logging.DEBUG)
    connection_id = connect(world)
    held = _secrets(world, connection_id)
    with world.host.app.state.engine.begin() as connection:  # forces a refresh as well
        connection.execute(update(OAuthToken).values(access_expires_at=utcnow()))
    assert result_of(send(world, connection_id)) == "created"
    held |= _secrets(world, connection_id)
    assert len(held) == 5  # the secret, two access tokens, two refresh tokens
    world.browser.post(f"/account/hosts/{connection_id}/disconnect")
    assert caplog.records
    return held, caplog.records


def test_no_secret_or_token_reaches_the_logs(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The consumer (and everything but Authlib's own loggers in the host, below) logs neither
    the client secret nor any token."""
    held, records = _logged_secrets(world, caplog)
    for record in records:
        if record.name.startswith("authlib."):
            continue
        message = record.getMessage()
        for secret in held:
            assert secret not in message, record.name


def test_the_host_logs_no_token_at_debug_either(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    held, records = _logged_secrets(world, caplog)
    for record in records:
        message = record.getMessage()
        for secret in held:
            assert secret not in message, record.name


def test_the_account_page_leads_to_the_hosts_page(world: World) -> None:
    page = world.browser.get("/account")
    assert page.status_code == 200
    assert 'href="/account/hosts"' in page.text


def test_actions_that_ask_a_host_are_rate_limited_per_account(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        world.consumer.state, "obconsumer_limiter", TokenBucketLimiter(1, 2), raising=False
    )
    nowhere = uuid.uuid4()
    for action in ("send", "profile"):  # admitted (then not found): the bucket's two tokens
        assert world.browser.post(f"/account/hosts/{nowhere}/{action}").status_code == 404
    for path in (f"/account/hosts/{nowhere}/send", "/account/hosts/connect"):
        refused = world.browser.post(path, data={"apiRoot": world.host.api_root})
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["Retry-After"]) >= 1
    other = consumer_browser(world.consumer, make_learner(world.consumer, "other"))
    assert other.post(f"/account/hosts/{nowhere}/send").status_code == 404
