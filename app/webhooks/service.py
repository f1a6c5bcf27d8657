"""Webhook endpoints of an issuer: create (secret shown once), list, change, rotate, delete;
their deliveries and redelivery.

Every query is scoped to the calling issuer: another issuer's endpoint or delivery is a 404.
The target URL is checked against the SSRF rules when it is registered (a 422 naming ``url``)
and again at every send (:mod:`app.webhooks.sender`), because DNS answers change.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core.context import AppContext
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.fetch import FetchRefused, pin_url
from app.core.security import IssuerPrincipal
from app.jobs.delivery import WAKE
from app.models import Delivery, WebhookEndpoint
from app.outbox import service as outbox
from app.webhooks import payloads, repository
from app.webhooks.schemas import (
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookUpdate,
)
from app.webhooks.sealing import box, new_secret
from openbadges.errors import ResolutionError

MAX_ENDPOINTS = 20
"""Endpoints per issuer: each event is sent to every subscribed one."""


def check_url(context: AppContext, url: str) -> None:
    """Refuse a receiver the sender would refuse: not ``https`` (``http`` only with
    ``BADGES_ALLOW_PRIVATE_FETCH``), user info, or a host that does not resolve or resolves to
    an address the SSRF rules keep out (422 naming ``url``)."""
    allow_private = context.settings.allow_private_fetch
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:  # "https://[::1/x": an unbalanced IPv6 bracket, say
        raise Unprocessable("This is not a valid URL.", field="$.url") from None
    if scheme != "https" and not allow_private:
        raise Unprocessable("A webhook URL must be https.", field="$.url")
    try:
        pin_url(url, allow_private=allow_private)
    except FetchRefused as error:
        raise Unprocessable(f"This URL cannot receive webhooks: {error}", field="$.url") from None
    except ResolutionError as error:
        raise Unprocessable(f"This URL cannot receive webhooks: {error}", field="$.url") from None


def _get(session: Session, issuer_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = repository.get(session, issuer_id, endpoint_id)
    if endpoint is None:
        raise NotFound("No such webhook endpoint for this issuer.")
    return endpoint


def _seal(context: AppContext, endpoint: WebhookEndpoint, secret: str) -> None:
    sealer = box(context)
    endpoint.sealed_secret = sealer.seal(secret, endpoint.id)
    endpoint.kek_id = sealer.kek_id


def create_endpoint(
    session: Session, context: AppContext, principal: IssuerPrincipal, data: WebhookCreate
) -> WebhookCreated:
    """Register an endpoint; its secret exists in clear only in this return value."""
    check_url(context, data.url)
    if repository.count_for_issuer(session, principal.issuer_id) >= MAX_ENDPOINTS:
        raise Conflict(f"An issuer can have at most {MAX_ENDPOINTS} webhook endpoints.")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=uuid.uuid4(),
        issuer_id=principal.issuer_id,
        url=data.url,
        events=list(data.events),
        description=data.description,
        enabled=data.enabled,
    )
    _seal(context, endpoint, secret)
    session.add(endpoint)
    audit.record(
        session,
        actor=principal.actor,
        action="webhook.create",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
        issuer_id=principal.issuer_id,
        details={"url": data.url, "events": list(data.events)},
    )
    session.commit()
    return WebhookCreated(**WebhookRead.model_validate(endpoint).model_dump(), secret=secret)


def list_endpoints(session: Session, issuer_id: uuid.UUID) -> list[WebhookEndpoint]:
    return list(repository.for_issuer(session, issuer_id))


def get_endpoint(session: Session, issuer_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    return _get(session, issuer_id, endpoint_id)


def update_endpoint(
    session: Session, principal: IssuerPrincipal, endpoint_id: uuid.UUID, data: WebhookUpdate
) -> WebhookEndpoint:
    """Change events, label or ``enabled``. Switching an endpoint off cancels what it has not
    been sent yet (events while it is off are not kept for it)."""
    endpoint = _get(session, principal.issuer_id, endpoint_id)
    changes = data.model_dump(exclude_unset=True)
    if "events" in changes and data.events is not None:
        endpoint.events = list(data.events)
    if "description" in changes:
        endpoint.description = data.description
    if data.enabled is not None and data.enabled != endpoint.enabled:
        endpoint.enabled = data.enabled
        if not data.enabled:
            repository.cancel_pending(session, endpoint)
    audit.record(
        session,
        actor=principal.actor,
        action="webhook.update",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
        issuer_id=principal.issuer_id,
        details={k: v for k, v in changes.items() if k != "description"},
    )
    session.commit()
    return endpoint


def rotate_secret(
    session: Session, context: AppContext, principal: IssuerPrincipal, endpoint_id: uuid.UUID
) -> WebhookCreated:
    """A new secret, shown in this answer only; the old one stops being used at once,
    pending retries included (they are re-pointed in this transaction)."""
    endpoint = _get(session, principal.issuer_id, endpoint_id)
    secret = new_secret()
    _seal(context, endpoint, secret)
    for delivery in repository.pending_deliveries(session, endpoint):
        repository.replace_payload(delivery, payloads.with_endpoint(delivery.payload, endpoint))
    audit.record(
        session,
        actor=principal.actor,
        action="webhook.rotate_secret",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
        issuer_id=principal.issuer_id,
    )
    session.commit()
    return WebhookCreated(**WebhookRead.model_validate(endpoint).model_dump(), secret=secret)


def delete_endpoint(session: Session, principal: IssuerPrincipal, endpoint_id: uuid.UUID) -> None:
    """Delete an endpoint and cancel its deliveries not sent yet (their history stays)."""
    endpoint = _get(session, principal.issuer_id, endpoint_id)
    repository.cancel_pending(session, endpoint)
    audit.record(
        session,
        actor=principal.actor,
        action="webhook.delete",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
        issuer_id=principal.issuer_id,
        details={"url": endpoint.url},
    )
    session.delete(endpoint)
    session.commit()


def to_delivery_read(delivery: Delivery) -> DeliveryRead:
    """A delivery as the API shows it: the body sent, never the sealed secret."""
    body = payloads.body_of(delivery.payload)
    return DeliveryRead(
        id=delivery.id,
        webhook_id=delivery.target_id or uuid.UUID(int=0),
        event_id=delivery.event_id,
        event_type=str(body.get("type", "")),
        message_id=delivery.message_id,
        state=delivery.state,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at if delivery.state == "pending" else None,
        last_attempt_at=delivery.last_attempt_at,
        sent_at=delivery.sent_at,
        last_status=delivery.last_status,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        payload=body,
    )


def list_deliveries(
    session: Session,
    issuer_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    *,
    limit: int,
    before: uuid.UUID | None,
) -> list[Delivery]:
    """The endpoint's deliveries, newest first, after the delivery ``before`` (404 for another
    issuer's endpoint; 422 naming ``before`` for a cursor that is not one of its deliveries)."""
    endpoint = _get(session, issuer_id, endpoint_id)
    cursor = None
    if before is not None:
        cursor = outbox.get_delivery(session, issuer_id, before)
        if cursor is None or cursor.target_id != endpoint.id:
            raise Unprocessable("No such delivery of this endpoint.", field="query.before")
    return list(repository.deliveries_page(session, endpoint, limit, cursor))


def redeliver(
    session: Session, principal: IssuerPrincipal, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> Delivery:
    """Send a delivery again, to the endpoint as it is now (its current secret), with the same
    ``webhook-id`` so the receiver can tell it is the same message."""
    endpoint = _get(session, principal.issuer_id, endpoint_id)
    delivery = outbox.get_delivery(session, principal.issuer_id, delivery_id)
    if (
        delivery is None
        or delivery.target_id != endpoint.id
        or delivery.channel != repository.CHANNEL
    ):
        raise NotFound("No such delivery for this webhook endpoint.")
    if not endpoint.enabled:
        raise Conflict("The webhook endpoint is disabled; enable it to redeliver.")
    if delivery.state == "pending":
        raise Conflict("This delivery is still being attempted.")
    again = outbox.redeliver(session, delivery)
    again.payload = payloads.with_endpoint(delivery.payload, endpoint)
    audit.record(
        session,
        actor=principal.actor,
        action="webhook.redeliver",
        subject_type="delivery",
        subject_id=again.id,
        issuer_id=principal.issuer_id,
        details={"of": str(delivery.id), "messageId": delivery.message_id},
    )
    session.commit()
    WAKE()  # this process's relay sends it now rather than at its next poll
    return again
