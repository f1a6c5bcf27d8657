"""An issuer asks a learner to send a credential to another Open Badges host; the learner
approves on their account and the Service Consumer (Write) flow sends it (issue 13: "or an
issuer, with the learner's consent"). Both sides are real: the host is the second instance of
``conftest.host``, the e-mail goes through a real SMTP server."""

# ruff: noqa: F811  (test functions take the imported ``world`` fixture by name)

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from api_support import assert_problem, issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mail_support import Inbox, free_port, run_outbox
from pydantic import SecretStr
from sqlalchemy import delete, select, update
from test_consumer_write import (  # noqa: F401 (world: the fixture)
    CONSUMER,
    World,
    callback,
    connect,
    consent,
    consumer_browser,
    host_credentials,
    make_learner,
    result_of,
    world,
)

from app.core.ratelimit import TokenBucketLimiter
from app.models import OAuthToken, ObPushRequest, OutboxEvent, utcnow
from app.obconsumer import client as consumer_client
from app.obconsumer import push_service
from app.obconsumer import service as consumer_service


@pytest.fixture
def inbox(consumer: FastAPI) -> Iterator[Inbox]:
    """The consumer's e-mail goes to a real SMTP server on 127.0.0.1."""
    box = Inbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    context = consumer.state.context
    settings = context.settings.model_copy(
        update={
            "smtp_url": SecretStr(f"smtp://127.0.0.1:{port}?timeout=5"),
            "mail_from": "badges@badges.test",
        }
    )
    consumer.state.context = dataclasses.replace(context, settings=settings)
    try:
        yield box
    finally:
        consumer.state.context = context
        controller.stop()


def ask(world: World, client: TestClient, api_root: str | None = None) -> Any:
    return client.post(
        f"/api/v1/credentials/{world.credential['id']}/push-requests",
        json={"apiRoot": api_root or world.host.api_root},
        headers=world.issuer.headers,
    )


def request_of(world: World, client: TestClient, request_id: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/push-requests/{request_id}", headers=world.issuer.headers)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def events_of(app: FastAPI, request_id: str) -> list[tuple[str, dict[str, Any]]]:
    with app.state.sessionmaker() as session:
        rows = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.type.in_(("push.requested", "push.completed")))
            .order_by(OutboxEvent.created_at)
        )
        found = [(row.type, row.data) for row in rows if row.data["requestId"] == request_id]
    # Creation times are whole seconds: within one, the request comes before its outcome.
    return sorted(found, key=lambda event: event[0] == "push.completed")


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_the_issuer_asks_the_learner_is_emailed_approves_connects_and_the_host_has_it(
    world: World, client: TestClient, inbox: Inbox
) -> None:
    asked = ask(world, client)
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert request["state"] == "pending"
    assert request["apiRoot"] == world.host.api_root
    assert request["hostName"]  # the host's name from its discovery document
    assert request["recipientEmail"] == world.learner.email
    assert request["result"] is None
    assert host_credentials(world)["total"] == 0  # nothing sent before the learner says so

    # the learner is e-mailed, with the way to their account's requests
    run_outbox(world.consumer, world.consumer.state.context)
    [message] = [m for m in inbox.to(world.learner.email) if "asks you" in str(m["Subject"])]
    assert request["hostName"] in str(message["Subject"])
    assert f"{CONSUMER}/account/requests" in text_of(message)
    assert "Nothing is sent unless you approve it" in text_of(message)

    page = world.browser.get("/account/requests")
    assert page.status_code == 200
    assert f'data-request="{request["id"]}" data-state="pending"' in page.text
    assert "form-action 'self' https: http:" in page.headers["content-security-policy"]

    # approving without a connection sends the learner to the host to authorize this service
    approved = world.browser.post(f"/account/requests/{request['id']}/approve")
    assert approved.status_code == 303, approved.text
    location = approved.headers["location"]
    assert location.startswith(world.host.api_root + "/oauth/authorize?"), location
    back = callback(world, consent(world, location))
    assert back.status_code == 303, back.text
    assert back.headers["location"] == f"/account/requests?done={request['id']}"
    done = world.browser.get(back.headers["location"])
    assert result_of(done) == "sent"
    assert f'data-request="{request["id"]}" data-state="sent"' in done.text

    served = host_credentials(world)
    assert [c["id"] for c in served["credential"]] == [world.credential["credential"]["id"]]
    after = request_of(world, client, request["id"])
    assert after["state"] == "sent"
    assert after["result"] == {"status": 201, "detail": "created"}
    assert after["decidedAt"] is not None
    assert [kind for kind, _ in events_of(world.consumer, request["id"])] == [
        "push.requested",
        "push.completed",
    ]
    assert events_of(world.consumer, request["id"])[1][1]["state"] == "sent"


def test_over_an_existing_connection_approving_sends_at_once(
    world: World, client: TestClient
) -> None:
    connect(world)
    request = ask(world, client).json()
    approved = world.browser.post(f"/account/requests/{request['id']}/approve")
    assert approved.status_code == 303, approved.text
    assert result_of(world.browser.get(approved.headers["location"])) == "sent"
    assert host_credentials(world)["total"] == 1
    assert request_of(world, client, request["id"])["state"] == "sent"
    # a sent request is closed: approving again is a 409 page, nothing sent twice
    again = world.browser.post(f"/account/requests/{request['id']}/approve")
    assert again.status_code == 409
    # and the issuer may ask again for the same host (the earlier one is closed)
    assert ask(world, client).status_code == 201


def test_a_declined_host_is_not_asked_again_and_nothing_is_sent(
    world: World, client: TestClient
) -> None:
    request = ask(world, client).json()
    declined = world.browser.post(f"/account/requests/{request['id']}/decline")
    assert declined.status_code == 303
    assert declined.headers["location"] == "/account/requests?declined=1"
    assert request_of(world, client, request["id"])["state"] == "declined"
    assert events_of(world.consumer, request["id"])[-1][1]["state"] == "declined"
    assert_problem(ask(world, client), 409, "apiRoot")
    assert world.browser.post(f"/account/requests/{request['id']}/approve").status_code == 409
    assert host_credentials(world)["total"] == 0


def test_a_request_is_its_learners_only(world: World, client: TestClient) -> None:
    request = ask(world, client).json()
    stranger = make_learner(world.consumer, "stranger")
    browser = consumer_browser(world.consumer, stranger)
    assert f'data-request="{request["id"]}"' not in browser.get("/account/requests").text
    assert browser.post(f"/account/requests/{request['id']}/approve").status_code == 404
    assert browser.post(f"/account/requests/{request['id']}/decline").status_code == 404
    assert request_of(world, client, request["id"])["state"] == "pending"
    # another issuer sees none of it
    other = make_issuer(client, {"Authorization": "Bearer " + _admin(world)})
    assert (
        client.get(f"/api/v1/push-requests/{request['id']}", headers=other.headers).status_code
        == 404
    )
    listed = client.get(
        f"/api/v1/credentials/{world.credential['id']}/push-requests", headers=other.headers
    )
    assert listed.status_code == 404
    assert (
        client.post(
            f"/api/v1/push-requests/{request['id']}/cancel", headers=other.headers
        ).status_code
        == 404
    )


def _admin(world: World) -> str:
    token: str = world.consumer.state.context.settings.admin_token.get_secret_value()
    return token


def test_a_cancelled_or_expired_request_cannot_be_approved(
    world: World, client: TestClient
) -> None:
    first = ask(world, client).json()
    cancelled = client.post(
        f"/api/v1/push-requests/{first['id']}/cancel", headers=world.issuer.headers
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    assert world.browser.post(f"/account/requests/{first['id']}/approve").status_code == 409
    assert_problem(
        client.post(f"/api/v1/push-requests/{first['id']}/cancel", headers=world.issuer.headers),
        409,
    )
    second = ask(world, client).json()
    with world.consumer.state.sessionmaker() as session:
        session.execute(
            update(ObPushRequest)
            .where(ObPushRequest.id == uuid.UUID(second["id"]))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    assert request_of(world, client, second["id"])["state"] == "expired"
    assert world.browser.post(f"/account/requests/{second['id']}/approve").status_code == 409
    listed = client.get(
        f"/api/v1/credentials/{world.credential['id']}/push-requests", headers=world.issuer.headers
    ).json()
    assert [item["state"] for item in listed] == ["expired", "cancelled"]


def test_what_cannot_be_asked(world: World, client: TestClient) -> None:
    assert_problem(ask(world, client, "not a url"), 400, "apiRoot")
    assert ask(world, client, "ftp://host.example/ims/ob/v3p0").status_code == 400
    # a host without a usable discovery document: nobody is bothered
    missing = ask(world, client, world.host.base + "/nothing-here")
    assert missing.status_code == 502, missing.text
    assert world.browser.get("/account/requests").text.count("data-request=") == 0
    # one open request per credential and host
    assert ask(world, client).status_code == 201
    assert_problem(ask(world, client), 409, "apiRoot")
    # a credential without an address, a revoked one
    achievement = make_achievement(client, world.issuer)
    no_email = issue(
        client, world.issuer, achievement["id"], recipient={"did": "did:example:learner"}
    )
    answer = client.post(
        f"/api/v1/credentials/{no_email['id']}/push-requests",
        json={"apiRoot": world.host.api_root},
        headers=world.issuer.headers,
    )
    assert_problem(answer, 409)
    revoked = issue(client, world.issuer, achievement["id"], recipient={"email": "r@example.org"})
    client.post(f"/api/v1/credentials/{revoked['id']}/revoke", headers=world.issuer.headers)
    answer = client.post(
        f"/api/v1/credentials/{revoked['id']}/push-requests",
        json={"apiRoot": world.host.api_root},
        headers=world.issuer.headers,
    )
    assert_problem(answer, 409)
    # unknown members are refused, as everywhere in the API
    answer = client.post(
        f"/api/v1/credentials/{world.credential['id']}/push-requests",
        json={"apiRoot": world.host.api_root, "extra": 1},
        headers=world.issuer.headers,
    )
    assert_problem(answer, 422)


def test_three_requests_a_day_per_credential(world: World, client: TestClient) -> None:
    for _ in range(push_service.PER_CREDENTIAL_PER_DAY):
        request = ask(world, client).json()
        client.post(f"/api/v1/push-requests/{request['id']}/cancel", headers=world.issuer.headers)
    refused = ask(world, client)
    assert_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) > 0


# --- found in review: each fails without its fix --------------------------------------------


def _host_names_itself(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """The host's discovery document gives ``name`` as its name."""
    original = consumer_client.fetch_discovery

    def named(context: Any, url: str) -> dict[str, Any]:
        document: dict[str, Any] = original(context, url)
        for scheme in document["components"]["securitySchemes"].values():
            scheme["x-imssf-name"] = name
        return document

    monkeypatch.setattr(consumer_client, "fetch_discovery", named)


def test_a_hostile_host_name_is_plain_text_and_shown_with_the_real_address(
    world: World, client: TestClient, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    _host_names_itself(monkeypatch, "LinkedIn\r\nBcc: all@example.org\u202e\x00")
    request = ask(world, client).json()
    assert request["hostName"] == "LinkedIn Bcc: all@example.org"
    run_outbox(world.consumer, world.consumer.state.context)
    [message] = [m for m in inbox.to(world.learner.email) if "asks you" in str(m["Subject"])]
    address = world.host.api_root.split("/")[2]
    assert f"LinkedIn Bcc: all@example.org ({address})" in str(message["Subject"])
    assert message["Bcc"] is None
    page = world.browser.get("/account/requests").text
    assert f"LinkedIn Bcc: all@example.org ({address})" in page


def test_a_decline_holds_however_the_address_is_spelled(world: World, client: TestClient) -> None:
    request = ask(world, client).json()
    world.browser.post(f"/account/requests/{request['id']}/decline")
    scheme, rest = world.host.api_root.split("://", 1)
    host, path = rest.split("/", 1)
    for spelling in (
        f"{scheme.upper()}://{host.upper()}/{path}/",
        f"{scheme}://{host}/{path.replace('v3p0', 'v3p%30')}",
        f"{scheme}://{host}/./{path}/discovery",
        f"{scheme}://{host}/x/../{path}",
    ):
        assert_problem(ask(world, client, spelling), 409, "apiRoot")


@pytest.mark.parametrize(
    ("typed", "root"),
    [
        ("https://Host.Example:443/ims/ob/v3p%30/", "https://host.example/ims/ob/v3p0"),
        (
            "https://host.example./a/./b/../ims/ob/v3p0/discovery/",
            "https://host.example/a/ims/ob/v3p0",
        ),
        ("https://HÖST.example:8443/x", "https://xn--hst-sna.example:8443/x"),
        ("https://h.example/x/discovery/discovery", "https://h.example/x"),
        ("http://[::1]:80/ims/ob/v3p0", "http://[::1]/ims/ob/v3p0"),
        ("https://h.example/a%2fb%7e", "https://h.example/a%2Fb~"),
    ],
)
def test_an_api_root_has_one_spelling(typed: str, root: str) -> None:
    assert consumer_service.normalise_root(typed) == root
    assert consumer_service.normalise_root(root) == root


def test_concurrent_asks_open_one_request(world: World, client: TestClient) -> None:
    def one(_: int) -> int:
        return ask(world, TestClient(world.consumer, raise_server_exceptions=False)).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = sorted(pool.map(one, range(6)))
    assert codes == [201, 409, 409, 409, 409, 409]


def test_a_request_being_sent_is_neither_cancelled_nor_sent_twice(
    world: World, client: TestClient
) -> None:
    connect(world)
    request = ask(world, client).json()

    def set_sending(since: timedelta) -> None:
        with world.consumer.state.sessionmaker() as session:
            session.execute(
                update(ObPushRequest)
                .where(ObPushRequest.id == uuid.UUID(request["id"]))
                .values(state="sending", decided_at=utcnow() - since)
            )
            session.commit()

    set_sending(timedelta(seconds=1))  # another approval is sending it right now
    assert request_of(world, client, request["id"])["state"] == "sending"
    assert world.browser.post(f"/account/requests/{request['id']}/approve").status_code == 409
    assert world.browser.post(f"/account/requests/{request['id']}/decline").status_code == 409
    cancel = client.post(
        f"/api/v1/push-requests/{request['id']}/cancel", headers=world.issuer.headers
    )
    assert_problem(cancel, 409)
    assert_problem(ask(world, client), 409, "apiRoot")
    assert host_credentials(world)["total"] == 0
    # a claim its process never finished is taken over after the lease
    set_sending(push_service.SENDING_LEASE + timedelta(seconds=1))
    approved = world.browser.post(f"/account/requests/{request['id']}/approve")
    assert approved.status_code == 303
    assert result_of(world.browser.get(approved.headers["location"])) == "sent"
    assert host_credentials(world)["total"] == 1


def test_a_dead_connection_is_replaced_by_a_new_authorization(
    world: World, client: TestClient
) -> None:
    connect(world)
    with world.host.app.state.sessionmaker() as session:  # the host forgot this service's access
        session.execute(delete(OAuthToken))
        session.commit()
    request = ask(world, client).json()
    approved = world.browser.post(f"/account/requests/{request['id']}/approve")
    assert approved.status_code == 303, approved.text
    assert approved.headers["location"].startswith(world.host.api_root + "/oauth/authorize?")
    assert request_of(world, client, request["id"])["state"] == "pending"  # not "failed"
    back = callback(world, consent(world, approved.headers["location"]))
    assert result_of(world.browser.get(back.headers["location"])) == "sent"


def test_a_request_withdrawn_before_its_email_went_is_not_emailed(
    world: World, client: TestClient, inbox: Inbox
) -> None:
    request = ask(world, client).json()
    client.post(f"/api/v1/push-requests/{request['id']}/cancel", headers=world.issuer.headers)
    run_outbox(world.consumer, world.consumer.state.context)
    assert [m for m in inbox.to(world.learner.email) if "asks you" in str(m["Subject"])] == []


def test_an_issuer_asks_at_most_so_often(world: World, client: TestClient) -> None:
    world.consumer.state.push_ask_limiter = TokenBucketLimiter(1, 2)
    try:
        assert ask(world, client, "not a url").status_code == 400
        assert ask(world, client, "not a url").status_code == 400
        refused = ask(world, client)
        assert_problem(refused, 429)
        assert int(refused.headers["Retry-After"]) >= 1
    finally:
        del world.consumer.state.push_ask_limiter
