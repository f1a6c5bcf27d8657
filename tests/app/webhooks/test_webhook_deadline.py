"""A webhook attempt has a wall-clock deadline, however slowly the receiver drips its answer.

httpx's timeouts bound each read, so a receiver sending a byte now and then would keep one
attempt going past the delivery's lease (and another relay would send it again). The
receivers here are real HTTP servers on 127.0.0.1 that drip their headers or their body.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from api_support import IssuerHandle, issue
from dripper_support import Dripper, dripping_server, unique_path
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.context import AppContext
from app.models import utcnow
from app.outbox import service as outbox

DEADLINE_S = 0.6


@pytest.fixture
def dripper() -> Iterator[Dripper]:
    with dripping_server(unique_path("/hooks")) as server:
        yield server


def short_deadline(app: FastAPI) -> AppContext:
    """The app's context with a deadline of :data:`DEADLINE_S` per attempt."""
    context: AppContext = app.state.context
    settings = context.settings.model_copy(update={"webhook_attempt_deadline_s": DEADLINE_S})
    return dataclasses.replace(context, settings=settings)


def webhook_to(client: TestClient, issuer: IssuerHandle, url: str) -> str:
    response = client.post(
        "/api/v1/webhooks",
        json={"url": url, "events": ["credential.issued"]},
        headers=issuer.headers,
    )
    assert response.status_code == 201, response.text
    hook_id: str = response.json()["id"]
    return hook_id


def the_delivery(client: TestClient, issuer: IssuerHandle, hook_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/webhooks/{hook_id}/deliveries", headers=issuer.headers)
    assert response.status_code == 200, response.text
    [delivery] = response.json()["items"]
    assert isinstance(delivery, dict)
    return delivery


@pytest.mark.usefixtures("quiet_outbox")  # run_once sends only what this test causes
@pytest.mark.parametrize("mode", ["headers", "body"])
def test_a_dripping_receiver_is_cut_at_the_deadline_and_retried_later(
    mode: str,
    hook_app: FastAPI,
    hook_client: TestClient,
    hook_issuer: IssuerHandle,
    hook_achievement: dict[str, Any],
    dripper: Dripper,
) -> None:
    hook_id = webhook_to(hook_client, hook_issuer, dripper.url)
    dripper.mode = mode
    issue(hook_client, hook_issuer, hook_achievement["id"])
    context = short_deadline(hook_app)

    start = utcnow()
    began = time.monotonic()
    outbox.run_once(hook_app.state.sessionmaker, context, now=start)
    took = time.monotonic() - began

    assert dripper.requests == 1
    # ended at the deadline, not when the receiver finished dripping (4 s)
    assert took < DEADLINE_S + 1.5, took
    failed = the_delivery(hook_client, hook_issuer, hook_id)
    assert (failed["state"], failed["attempts"]) == ("pending", 1)
    assert "within the attempt's deadline of 0.6 s" in failed["lastError"]
    if mode == "headers":  # no answer at all
        assert failed["lastStatus"] is None
        assert failed["lastError"].startswith("The receiver did not answer")
    else:  # the status came, the body did not
        assert failed["lastStatus"] == 500
        assert failed["lastError"].startswith("HTTP 500. The body did not arrive")

    # retried on the outbox's schedule (5 s later), like any failed attempt
    outbox.run_once(hook_app.state.sessionmaker, context, now=start + timedelta(seconds=1))
    assert dripper.requests == 1
    dripper.mode = "fast"
    outbox.run_once(hook_app.state.sessionmaker, context, now=start + timedelta(seconds=6))
    assert dripper.requests == 2
    sent = the_delivery(hook_client, hook_issuer, hook_id)
    assert (sent["state"], sent["attempts"], sent["lastStatus"]) == ("sent", 2, 200)


def test_the_deadline_is_a_setting_well_inside_the_lease() -> None:
    from app.core.config import Settings

    field = Settings.model_fields["webhook_attempt_deadline_s"]
    assert field.default == 30.0
    highest = max(m.le for m in field.metadata if getattr(m, "le", None) is not None)
    assert highest <= outbox.LEASE_S / 2
