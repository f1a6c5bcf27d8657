"""The outbox fan-out of the webhook channel: one delivery per subscribed endpoint.

Runs in the relay's dispatch transaction after the event's own commit
(:func:`app.outbox.service.on_event`), so issuing never waits on it, and once per event.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.models import OutboxEvent, WebhookEndpoint
from app.outbox import service as outbox
from app.webhooks import payloads, repository

_ENDPOINTS = "webhooks.enabled_endpoints"
"""``session.info`` key: the issuers' enabled endpoints, read once per dispatch transaction
(a batch's chunk dispatches hundreds of one issuer's events at once)."""


def _enabled(session: Session, issuer_id: uuid.UUID) -> Sequence[WebhookEndpoint]:
    known: dict[uuid.UUID, Sequence[WebhookEndpoint]] = session.info.setdefault(_ENDPOINTS, {})
    if issuer_id not in known:
        known[issuer_id] = repository.enabled_for_issuer(session, issuer_id)
    return known[issuer_id]


def fan_out(session: Session, context: AppContext, event: OutboxEvent) -> None:
    """Add a ``webhook`` delivery of ``event`` for every enabled endpoint of its issuer that
    subscribes to its type (the body is built once and shared)."""
    endpoints = [
        endpoint for endpoint in _enabled(session, event.issuer_id) if event.type in endpoint.events
    ]
    if not endpoints:
        return
    body = payloads.event_body(context.settings.base_url, event)
    for endpoint in endpoints:
        outbox.add_delivery(
            session,
            channel=repository.CHANNEL,
            issuer_id=event.issuer_id,
            payload=payloads.delivery_payload(endpoint, body),
            target_id=endpoint.id,
            event_id=event.id,
        )
