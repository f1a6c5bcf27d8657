"""Webhooks end to end: a real receiver on 127.0.0.1 gets Standard Webhooks calls, verified
with the ``standardwebhooks`` library and the secret the create call showed."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from _webhook_support import Receiver, relay
from api_support import IssuerHandle, issue
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.core.config import Settings
from app.main import create_app
from app.models import Delivery, lengths, utcnow

TEST_BASE_URL = "https://badges.test"


def create_hook(
    client: TestClient, issuer: IssuerHandle, url: str, events: list[str], **extra: Any
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/webhooks", json={"url": url, "events": events, **extra}, headers=issuer.headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def deliveries(client: TestClient, issuer: IssuerHandle, hook_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/webhooks/{hook_id}/deliveries", headers=issuer.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def verified(secret: str, received: Any) -> dict[str, Any]:
    """The body, once its signature checks out under ``secret`` (raises otherwise)."""
    body: dict[str, Any] = Webhook(secret).verify(received.body, received.headers)
    return body


def test_an_issued_and_a_revoked_credential_reach_the_receiver_signed(
    hook_app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    receiver: Receiver,
) -> None:
    hook = create_hook(
        hook_client,
        hook_issuer,
        receiver.url,
        ["credential.issued", "credential.revoked"],
        description="LMS",
    )
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    assert len(secret) >= len("whsec_") + 32
    listed = hook_client.get("/api/v1/webhooks", headers=hook_issuer.headers).json()
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "secret" not in listed[0]
    assert secret not in str(listed)
    assert (
        "secret"
        not in hook_client.get(f"/api/v1/webhooks/{hook['id']}", headers=hook_issuer.headers).json()
    )

    credential = issue(hook_client, hook_issuer, hook_achievement["id"])
    assert receiver.requests == []  # nothing is sent by the issuing request itself
    relay(hook_app)

    assert len(receiver.requests) == 1
    call = receiver.requests[0]
    assert receiver.url.endswith(call.path)
    assert call.headers["content-type"] == "application/json"
    assert call.headers["webhook-id"].startswith("msg_")
    assert call.headers["webhook-signature"].startswith("v1,")
    body = verified(secret, call)
    assert set(body) == {"type", "timestamp", "data"}
    assert body["type"] == "credential.issued"
    assert body["timestamp"].endswith("Z")
    data = body["data"]
    assert data["credentialId"] == credential["id"]
    assert data["issuerId"] == hook_issuer.id
    assert data["credentialUrl"] == f"{TEST_BASE_URL}/credentials/{credential['id']}"
    assert data["credentialJsonUrl"].endswith(f"/credentials/{credential['id']}.json")
    assert data["issuerUrl"] == f"{TEST_BASE_URL}/issuers/{hook_issuer.id}"
    with pytest.raises(WebhookVerificationError):  # another secret does not verify it
        Webhook("whsec_" + "A" * 44).verify(call.body, call.headers)

    [sent] = deliveries(hook_client, hook_issuer, hook["id"])
    assert sent["state"] == "sent"
    assert sent["attempts"] == 1
    assert sent["lastStatus"] == 200
    assert sent["messageId"] == call.headers["webhook-id"]
    assert sent["eventType"] == "credential.issued"
    assert sent["payload"] == body
    assert "sealedSecret" not in str(sent)
    assert "endpoint" not in sent["payload"]

    revoked = hook_client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        json={"reason": "issued in error"},
        headers=hook_issuer.headers,
    )
    assert revoked.status_code == 200, revoked.text
    relay(hook_app)
    assert len(receiver.requests) == 2
    body = verified(secret, receiver.requests[1])
    assert body["type"] == "credential.revoked"
    assert body["data"]["credentialId"] == credential["id"]
    assert body["data"]["reason"] == "issued in error"
    assert receiver.requests[1].headers["webhook-id"] != call.headers["webhook-id"]


def test_only_subscribed_types_of_the_endpoint_s_own_issuer_are_sent(
    hook_app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    admin_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    from api_support import make_achievement, make_issuer

    hook = create_hook(hook_client, hook_issuer, receiver.url, ["credential.suspended"])
    credential = issue(hook_client, hook_issuer, hook_achievement["id"])
    other = make_issuer(hook_client, admin_headers)
    issue(hook_client, other, make_achievement(hook_client, other)["id"])
    relay(hook_app)
    assert receiver.requests == []  # issued is not subscribed; the other issuer's is not ours

    suspended = hook_client.post(
        f"/api/v1/credentials/{credential['id']}/suspend", headers=hook_issuer.headers
    )
    assert suspended.status_code == 200, suspended.text
    relay(hook_app)
    assert [verified(hook["secret"], r)["type"] for r in receiver.requests] == [
        "credential.suspended"
    ]


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
    hook_app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    receiver: Receiver,
) -> None:
    hook = create_hook(hook_client, hook_issuer, receiver.url, ["credential.issued"])
    receiver.script = [500, 503]
    issue(hook_client, hook_issuer, hook_achievement["id"])

    start = utcnow()
    relay(hook_app)
    [first] = deliveries(hook_client, hook_issuer, hook["id"])
    assert (first["state"], first["attempts"], first["lastStatus"]) == ("pending", 1, 500)
    assert "HTTP 500" in first["lastError"]
    assert "nope" in first["lastError"]
    assert first["nextAttemptAt"] is not None

    relay(hook_app, now=start + timedelta(seconds=1))  # not due yet: the 2nd try is 5 s later
    assert len(receiver.requests) == 1
    relay(hook_app, now=start + timedelta(seconds=6))
    assert len(receiver.requests) == 2
    [second] = deliveries(hook_client, hook_issuer, hook["id"])
    assert (second["state"], second["attempts"], second["lastStatus"]) == ("pending", 2, 503)

    relay(hook_app, now=start + timedelta(seconds=60))  # the 3rd is 5 minutes after the 2nd
    assert len(receiver.requests) == 2
    relay(hook_app, now=start + timedelta(seconds=6 + 301))
    assert len(receiver.requests) == 3
    [done] = deliveries(hook_client, hook_issuer, hook["id"])
    assert (done["state"], done["attempts"], done["lastStatus"]) == ("sent", 3, 200)
    assert done["lastError"] is None
    assert done["nextAttemptAt"] is None
    # every attempt is the same message, each signed anew
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    for received in receiver.requests:
        assert verified(hook["secret"], received)["type"] == "credential.issued"


def test_410_gone_stops_at_once_and_other_failures_give_up_after_72_hours(
    hook_app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    receiver: Receiver,
) -> None:
    hook = create_hook(hook_client, hook_issuer, receiver.url, ["credential.issued"])
    receiver.script = [410]
    issue(hook_client, hook_issuer, hook_achievement["id"])
    relay(hook_app)
    [gone] = deliveries(hook_client, hook_issuer, hook["id"])
    assert (gone["state"], gone["attempts"], gone["lastStatus"]) == ("failed", 1, 410)
    relay(hook_app, now=utcnow() + timedelta(days=1))
    assert len(receiver.requests) == 1

    receiver.default = 500
    issue(hook_client, hook_issuer, hook_achievement["id"])
    start = utcnow()
    moment = start
    for _ in range(90):  # hourly passes over 90 hours
        relay(hook_app, now=moment)
        moment += timedelta(hours=1)
    [latest] = [
        d for d in deliveries(hook_client, hook_issuer, hook["id"]) if d["id"] != gone["id"]
    ]
    assert latest["state"] == "failed"
    assert latest["attempts"] >= 13  # 0 s, 5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h
    tried_for = datetime.fromisoformat(latest["lastAttemptAt"]) - start
    assert tried_for >= timedelta(hours=72)
    assert len(receiver.requests) == 1 + latest["attempts"]


def test_a_redirect_is_not_followed(
    hook_app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    receiver: Receiver,
) -> None:
    hook = create_hook(hook_client, hook_issuer, receiver.url, ["credential.issued"])
    receiver.script = [307]
    issue(hook_client, hook_issuer, hook_achievement["id"])
    relay(hook_app)
    [moved] = deliveries(hook_client, hook_issuer, hook["id"])
    assert (moved["state"], moved["lastStatus"]) == ("pending", 307)
    assert "redirects are not followed" in moved["lastError"]
    assert len(receiver.requests) == 1


def test_redeliver_sends_the_same_webhook_id_again(
    hook_app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    receiver: Receiver,
) -> None:
    hook = create_hook(hook_client, hook_issuer, receiver.url, ["credential.issued"])
    issue(hook_client, hook_issuer, hook_achievement["id"])
    relay(hook_app)
    [sent] = deliveries(hook_client, hook_issuer, hook["id"])

    again = hook_client.post(
        f"/api/v1/webhooks/{hook['id']}/deliveries/{sent['id']}/redeliver",
        headers=hook_issuer.headers,
    )
    assert again.status_code == 202, again.text
    assert again.json()["state"] == "pending"
    assert again.json()["messageId"] == sent["messageId"]
    pending = hook_client.post(
        f"/api/v1/webhooks/{hook['id']}/deliveries/{again.json()['id']}/redeliver",
        headers=hook_issuer.headers,
    )
    assert pending.status_code == 409
    relay(hook_app)
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert second.headers["webhook-id"] == first.headers["webhook-id"] == sent["messageId"]
    assert verified(hook["secret"], second) == verified(hook["secret"], first)
    listed = deliveries(hook_client, hook_issuer, hook["id"])
    assert [d["state"] for d in listed] == ["sent", "sent"]
    assert {d["messageId"] for d in listed} == {sent["messageId"]}


def test_rotating_the_secret_signs_pending_retries_and_redeliveries_with_the_new_one(
    hook_app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    receiver: Receiver,
) -> None:
    hook = create_hook(hook_client, hook_issuer, receiver.url, ["credential.issued"])
    receiver.script = [500]
    issue(hook_client, hook_issuer, hook_achievement["id"])
    relay(hook_app)
    rotated = hook_client.post(
        f"/api/v1/webhooks/{hook['id']}/rotate-secret", headers=hook_issuer.headers
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_")
    assert new_secret != hook["secret"]
    relay(hook_app, now=utcnow() + timedelta(seconds=10))
    assert len(receiver.requests) == 2
    verified(hook["secret"], receiver.requests[0])
    verified(new_secret, receiver.requests[1])
    with pytest.raises(WebhookVerificationError):
        verified(hook["secret"], receiver.requests[1])


def test_deleting_or_disabling_an_endpoint_cancels_what_it_has_not_been_sent(
    hook_app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    receiver: Receiver,
    engine: Engine,
) -> None:
    kept = create_hook(hook_client, hook_issuer, receiver.url, ["credential.issued"])
    dropped = create_hook(hook_client, hook_issuer, receiver.url + "?b", ["credential.issued"])
    receiver.default = 500
    issue(hook_client, hook_issuer, hook_achievement["id"])
    relay(hook_app)
    assert len(receiver.requests) == 2

    off = hook_client.patch(
        f"/api/v1/webhooks/{kept['id']}", json={"enabled": False}, headers=hook_issuer.headers
    )
    assert off.status_code == 200
    assert off.json()["enabled"] is False
    assert deliveries(hook_client, hook_issuer, kept["id"])[0]["state"] == "cancelled"
    gone = hook_client.delete(f"/api/v1/webhooks/{dropped['id']}", headers=hook_issuer.headers)
    assert gone.status_code == 204
    assert (
        hook_client.get(
            f"/api/v1/webhooks/{dropped['id']}", headers=hook_issuer.headers
        ).status_code
        == 404
    )
    with engine.connect() as connection:
        states = connection.execute(
            select(Delivery.state).where(Delivery.target_id.in_([_uuid(dropped["id"])]))
        ).scalars()
        assert set(states) == {"cancelled"}

    issue(hook_client, hook_issuer, hook_achievement["id"])  # a disabled endpoint gets nothing
    relay(hook_app, now=utcnow() + timedelta(hours=1))
    assert len(receiver.requests) == 2
    on = hook_client.patch(
        f"/api/v1/webhooks/{kept['id']}", json={"enabled": True}, headers=hook_issuer.headers
    )
    assert on.status_code == 200
    assert on.json()["enabled"] is True


def test_a_batch_announces_its_completion(
    hook_app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    receiver: Receiver,
    engine: Engine,
) -> None:
    from test_api_authorization import wait_for_batch

    hook = create_hook(hook_client, hook_issuer, receiver.url, ["batch.completed"])
    batch = hook_client.post(
        "/api/v1/batches",
        json={
            "achievementId": hook_achievement["id"],
            "rows": [{"email": "a@example.org"}, {"email": "b@example.org"}],
        },
        headers=hook_issuer.headers,
    )
    assert batch.status_code == 202, batch.text
    wait_for_batch(hook_client, hook_issuer, batch.json()["id"])
    relay(hook_app)
    [call] = receiver.requests
    body = verified(hook["secret"], call)
    assert body["type"] == "batch.completed"
    assert body["data"]["batchId"] == batch.json()["id"]
    assert body["data"]["issued"] == 2
    assert body["data"]["state"] == "completed"
    assert body["data"]["batchUrl"] == f"{TEST_BASE_URL}/api/v1/batches/{batch.json()['id']}"


def test_a_receiver_that_does_not_answer_is_a_retryable_timeout(
    hook_app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import httpx

    from app.webhooks import sender

    monkeypatch.setattr(
        sender, "_CLIENT", httpx.Client(timeout=0.3, follow_redirects=False, trust_env=False)
    )
    hook = create_hook(hook_client, hook_issuer, receiver.url, ["credential.issued"])
    receiver.delay_s = 1.0
    issue(hook_client, hook_issuer, hook_achievement["id"])
    relay(hook_app)
    [late] = deliveries(hook_client, hook_issuer, hook["id"])
    assert (late["state"], late["attempts"], late["lastStatus"]) == ("pending", 1, None)
    assert "did not answer" in late["lastError"]


def _uuid(value: str) -> Any:
    import uuid

    return uuid.UUID(value)


def test_delivery_rows_hold_the_secret_sealed_only(
    hook_app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    receiver: Receiver,
    engine: Engine,
) -> None:
    hook = create_hook(hook_client, hook_issuer, receiver.url, ["credential.issued"])
    issue(hook_client, hook_issuer, hook_achievement["id"])
    relay(hook_app)
    secret_b64 = hook["secret"].removeprefix("whsec_")
    with engine.connect() as connection:
        payload = connection.execute(
            select(Delivery.payload).where(Delivery.target_id == _uuid(hook["id"]))
        ).scalar_one()
        from app.models import WebhookEndpoint

        sealed = connection.execute(
            select(WebhookEndpoint.sealed_secret).where(WebhookEndpoint.id == _uuid(hook["id"]))
        ).scalar_one()
    assert secret_b64 not in str(payload)
    assert secret_b64.encode() not in sealed
    assert hook["secret"].encode() not in sealed


def test_a_slow_receiver_does_not_slow_issuing_and_the_relay_sends_on_its_own(
    settings: Settings, admin_headers: dict[str, str], receiver: Receiver
) -> None:
    """The real relay thread (not ``run_once``): woken by the issuing commit, it sends while
    the issuing requests have long answered."""
    from api_support import make_achievement, make_issuer

    application = create_app(
        settings.model_copy(update={"allow_private_fetch": True, "outbox_relay": True})
    )
    receiver.delay_s = 1.5
    try:
        with TestClient(application, raise_server_exceptions=False) as live:
            issuer = make_issuer(live, admin_headers)
            achievement = make_achievement(live, issuer)
            hook = create_hook(live, issuer, receiver.url, ["credential.issued"])
            started = time.monotonic()
            for _ in range(3):
                issue(live, issuer, achievement["id"])
            assert time.monotonic() - started < 4.0  # waiting on the receiver takes 4.5 s
            deadline = time.monotonic() + 30
            while len(receiver.requests) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(receiver.requests) == 3
            for received in receiver.requests:
                assert verified(hook["secret"], received)["type"] == "credential.issued"
    finally:
        application.state.engine.dispose()
        if application.state.autocommit_engine is not None:
            application.state.autocommit_engine.dispose()


def test_a_url_at_the_column_limit_is_stored(
    hook_client: TestClient, hook_issuer: IssuerHandle
) -> None:
    prefix = "https://93.184.215.14/"  # a public address literal: no DNS in the test
    url = prefix + "a" * (lengths.URL - len(prefix))
    created = create_hook(hook_client, hook_issuer, url, ["credential.issued"])
    assert created["url"] == url
    too_long = hook_client.post(
        "/api/v1/webhooks",
        json={"url": url + "a", "events": ["credential.issued"]},
        headers=hook_issuer.headers,
    )
    assert too_long.status_code == 422
    assert too_long.json()["field"] == "$.url"
