"""The webhooks API: validation, the SSRF rules at registration and at sending, tenants,
the secret (shown once, sealed at rest, never logged), and event types recorded elsewhere."""

from __future__ import annotations

import base64
import logging
import uuid
from typing import Any

import pytest
from _webhook_support import Receiver, relay
from api_support import IssuerHandle, assert_problem, issue, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from app.models import AuditEvent, Delivery, WebhookEndpoint
from app.outbox import service as outbox
from app.webhooks.sealing import SecretBox, SecretUnavailable, new_secret
from app.webhooks.service import MAX_ENDPOINTS

ALL_EVENTS = [
    "credential.issued",
    "credential.revoked",
    "credential.suspended",
    "credential.unsuspended",
    "credential.claimed",
    "batch.completed",
    "program.completed",
]


def post_hook(client: TestClient, issuer: IssuerHandle, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/webhooks", json=body, headers=issuer.headers)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://hooks.example.com/x", "events": ["credential.exploded"]}, "$.events[0]"),
        ({"url": "https://hooks.example.com/x", "events": []}, "$.events"),
        ({"url": "https://hooks.example.com/x"}, "$.events"),
        ({"url": "https://hooks.example.com/x", "events": "credential.issued"}, "$.events"),
        ({"url": "not a url", "events": ["credential.issued"]}, "$.url"),
        ({"url": "https://hooks.example.com/x", "events": ["credential.issued"], "x": 1}, "$.x"),
        (
            {"url": "https://hooks.example.com/x", "events": ["credential.issued"], "enabled": 1},
            "$.enabled",
        ),
        ({"url": "https://" + "a" * 2050 + ".com/", "events": ["credential.issued"]}, "$.url"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    client: TestClient, issuer: IssuerHandle, body: dict[str, Any], field: str
) -> None:
    assert_problem(post_hook(client, issuer, body), 422, field)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",  # https only
        "https://127.0.0.1/hook",  # loopback
        "https://localhost:8443/hook",  # a name that resolves to loopback
        "https://10.1.2.3/hook",  # private
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://[::1]/hook",
        "https://user:pw@hooks.example.com/x",
        "ftp://hooks.example.com/x",
        "https://[::1/x",  # not a URL at all (urlsplit raises): a 422, not a 500
        "https://a]b/",
    ],
)
def test_a_receiver_the_ssrf_rules_refuse_cannot_be_registered(
    client: TestClient, issuer: IssuerHandle, url: str
) -> None:
    assert_problem(
        post_hook(client, issuer, {"url": url, "events": ["credential.issued"]}), 422, "$.url"
    )
    assert client.get("/api/v1/webhooks", headers=issuer.headers).json() == []


def test_link_local_stays_refused_even_where_private_addresses_are_allowed(
    hook_client: TestClient, hook_issuer: IssuerHandle
) -> None:
    for url in ("http://169.254.169.254/latest", "https://[fe80::1]/x", "http://0.0.0.0:80/"):
        response = post_hook(
            hook_client, hook_issuer, {"url": url, "events": ["credential.issued"]}
        )
        assert_problem(response, 422, "$.url")


def test_a_receiver_that_became_private_is_refused_at_send_time_for_good(
    app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    receiver: Receiver,
) -> None:
    """Registered while private addresses were allowed, sent by a relay where they are not (a
    DNS answer that changed to a private address is the same case)."""
    created = post_hook(
        hook_client, hook_issuer, {"url": receiver.url, "events": ["credential.issued"]}
    )
    assert created.status_code == 201, created.text
    issue(hook_client, hook_issuer, hook_achievement["id"])
    relay(app)  # the production-like service: allow_private_fetch off
    assert receiver.requests == []
    listed = hook_client.get(
        f"/api/v1/webhooks/{created.json()['id']}/deliveries", headers=hook_issuer.headers
    ).json()["items"]
    [refused] = listed
    assert (refused["state"], refused["attempts"], refused["lastStatus"]) == ("failed", 1, None)
    assert "Refused" in refused["lastError"]
    assert "private" in refused["lastError"] or "https" in refused["lastError"]


def test_another_issuer_sees_none_of_an_issuer_s_endpoints_or_deliveries(
    hook_app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    admin_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    hook = post_hook(
        hook_client, hook_issuer, {"url": receiver.url, "events": ["credential.issued"]}
    ).json()
    issue(hook_client, hook_issuer, hook_achievement["id"])
    relay(hook_app)
    delivery = hook_client.get(
        f"/api/v1/webhooks/{hook['id']}/deliveries", headers=hook_issuer.headers
    ).json()["items"][0]
    other = make_issuer(hook_client, admin_headers)
    base = f"/api/v1/webhooks/{hook['id']}"
    for method, path, body in [
        ("GET", base, None),
        ("PATCH", base, {"enabled": False}),
        ("POST", f"{base}/rotate-secret", None),
        ("GET", f"{base}/deliveries", None),
        ("POST", f"{base}/deliveries/{delivery['id']}/redeliver", None),
        ("DELETE", base, None),
    ]:
        response = hook_client.request(method, path, json=body, headers=other.headers)
        assert_problem(response, 404)
    assert hook_client.get("/api/v1/webhooks", headers=other.headers).json() == []
    # a delivery of A's is not found through an endpoint of B's either
    own = post_hook(
        hook_client, other, {"url": receiver.url, "events": ["credential.issued"]}
    ).json()
    response = hook_client.post(
        f"/api/v1/webhooks/{own['id']}/deliveries/{delivery['id']}/redeliver", headers=other.headers
    )
    assert_problem(response, 404)
    # A's endpoint is untouched
    still = hook_client.get(base, headers=hook_issuer.headers).json()
    assert still["enabled"] is True


def test_an_issuer_has_at_most_the_limit_of_endpoints(
    client: TestClient, admin_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.webhooks import service

    monkeypatch.setattr(service, "MAX_ENDPOINTS", 2)
    issuer = make_issuer(client, admin_headers)
    monkeypatch.setattr(service, "check_url", lambda _context, _url: None)  # no DNS here
    body = {"url": "https://hooks.example.com/x", "events": ["credential.issued"]}
    assert post_hook(client, issuer, body).status_code == 201
    assert post_hook(client, issuer, body).status_code == 201
    assert_problem(post_hook(client, issuer, body), 409)
    assert MAX_ENDPOINTS == 20


def test_the_secret_is_shown_once_sealed_at_rest_and_never_logged(
    hook_app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    receiver: Receiver,
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.script = [500]
    created = post_hook(
        hook_client, hook_issuer, {"url": receiver.url, "events": ALL_EVENTS, "description": "CRM"}
    ).json()
    issue(hook_client, hook_issuer, hook_achievement["id"])
    relay(hook_app)
    rotated = hook_client.post(
        f"/api/v1/webhooks/{created['id']}/rotate-secret", headers=hook_issuer.headers
    ).json()
    secrets = [created["secret"], rotated["secret"]]
    for secret in secrets:
        raw = secret.removeprefix("whsec_")
        assert raw not in caplog.text
        with engine.connect() as connection:
            audit = (
                connection.execute(
                    select(AuditEvent.details).where(AuditEvent.subject_id == created["id"])
                )
                .scalars()
                .all()
            )
            sealed = connection.execute(
                select(WebhookEndpoint.sealed_secret, WebhookEndpoint.kek_id).where(
                    WebhookEndpoint.id == uuid.UUID(created["id"])
                )
            ).one()
            payloads = (
                connection.execute(
                    select(Delivery.payload).where(Delivery.target_id == uuid.UUID(created["id"]))
                )
                .scalars()
                .all()
            )
        assert len(audit) == 2
        assert raw not in str(audit)
        assert raw.encode() not in sealed[0]
        assert raw not in str(payloads)
    assert (
        "secret"
        not in hook_client.get(
            f"/api/v1/webhooks/{created['id']}", headers=hook_issuer.headers
        ).json()
    )


def test_the_sealed_secret_opens_only_for_its_endpoint_and_kek() -> None:
    box = SecretBox(b"k" * 32, "kek-a")
    secret = new_secret()
    endpoint_id = uuid.uuid4()
    blob = box.seal(secret, endpoint_id)
    assert box.open(blob, endpoint_id, "kek-a") == secret
    with pytest.raises(SecretUnavailable):
        box.open(blob, uuid.uuid4(), "kek-a")  # moved onto another row
    with pytest.raises(SecretUnavailable):
        box.open(blob, endpoint_id, "kek-b")
    with pytest.raises(SecretUnavailable):
        SecretBox(b"j" * 32, "kek-a").open(blob, endpoint_id, "kek-a")
    assert Webhook(secret)  # the library takes it as a whsec_ secret
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32


def test_events_recorded_elsewhere_are_fanned_out_with_their_data(
    hook_app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    receiver: Receiver,
) -> None:
    """``credential.claimed`` and ``program.completed`` come from other parts (offers,
    programs): whatever records them in the outbox reaches the subscribed endpoints."""
    created = post_hook(
        hook_client,
        hook_issuer,
        {"url": receiver.url, "events": ["credential.claimed", "program.completed"]},
    ).json()
    credential = issue(hook_client, hook_issuer, hook_achievement["id"])
    sessions = hook_app.state.sessionmaker
    with sessions() as session:
        assert isinstance(session, Session)
        outbox.record_event(
            session,
            type="credential.claimed",
            issuer_id=uuid.UUID(hook_issuer.id),
            subject_id=uuid.UUID(credential["id"]),
            data={
                "credentialId": credential["id"],
                "achievementId": hook_achievement["id"],
                "issuerId": hook_issuer.id,
                "offerId": "offer-1",
                "holder": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                "protocol": "oid4vci",
                "boundCredentialId": None,
            },
        )
        session.commit()
    relay(hook_app)
    [call] = receiver.requests
    body = Webhook(created["secret"]).verify(call.body, call.headers)
    assert body["type"] == "credential.claimed"
    assert body["data"]["protocol"] == "oid4vci"
    assert body["data"]["credentialUrl"].endswith(f"/credentials/{credential['id']}")


def test_deliveries_of_an_unknown_endpoint_are_a_404(
    client: TestClient, issuer: IssuerHandle
) -> None:
    missing = uuid.uuid4()
    assert_problem(
        client.get(f"/api/v1/webhooks/{missing}/deliveries", headers=issuer.headers), 404
    )
    assert_problem(
        client.post(
            f"/api/v1/webhooks/{missing}/deliveries/{uuid.uuid4()}/redeliver",
            headers=issuer.headers,
        ),
        404,
    )
    assert_problem(client.get("/api/v1/webhooks/not-a-uuid", headers=issuer.headers), 422)


def test_patch_validates_events(
    client: TestClient, issuer: IssuerHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.webhooks import service

    monkeypatch.setattr(service, "check_url", lambda _context, _url: None)
    hook = post_hook(
        client, issuer, {"url": "https://hooks.example.com/x", "events": ["credential.issued"]}
    ).json()
    path = f"/api/v1/webhooks/{hook['id']}"
    assert_problem(
        client.patch(path, json={"events": ["nope"]}, headers=issuer.headers), 422, "$.events[0]"
    )
    assert_problem(client.patch(path, json={"events": []}, headers=issuer.headers), 422, "$.events")
    changed = client.patch(
        path,
        json={"events": ["credential.revoked", "credential.revoked"], "description": "ERP"},
        headers=issuer.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["events"] == ["credential.revoked"]
    assert changed.json()["description"] == "ERP"


def test_deliveries_page_through_many_made_in_the_same_second(
    hook_app: FastAPI, hook_client: TestClient, hook_issuer: IssuerHandle, receiver: Receiver
) -> None:
    hook = post_hook(
        hook_client, hook_issuer, {"url": receiver.url, "events": ["credential.issued"]}
    ).json()
    with hook_app.state.sessionmaker() as session:
        made = []
        for _ in range(5):
            delivery = outbox.add_delivery(
                session,
                channel="webhook",
                issuer_id=uuid.UUID(hook_issuer.id),
                payload={"body": {"type": "credential.issued", "timestamp": "", "data": {}}},
                target_id=uuid.UUID(hook["id"]),
            )
            delivery.state = "sent"
            made.append(str(delivery.id))
        session.commit()
    seen: list[str] = []
    url: str | None = f"/api/v1/webhooks/{hook['id']}/deliveries?limit=2"
    pages = 0
    while url is not None:
        page = hook_client.get(url, headers=hook_issuer.headers).json()
        seen += [d["id"] for d in page["items"]]
        url = page["next"]
        pages += 1
    assert sorted(seen) == sorted(made)
    assert pages == 3
    assert_problem(
        hook_client.get(
            f"/api/v1/webhooks/{hook['id']}/deliveries?before={uuid.uuid4()}",
            headers=hook_issuer.headers,
        ),
        422,
        "query.before",
    )
