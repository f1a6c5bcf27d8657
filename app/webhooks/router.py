"""Issuer API of webhooks: ``/api/v1/webhooks`` (endpoints), their deliveries, redelivery.

Deliveries are signed per Standard Webhooks and sent by the outbox relay after the change
they announce has committed (see :mod:`app.webhooks.sender`); nothing here sends anything.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.security import IssuerAuth
from app.webhooks import service
from app.webhooks.schemas import (
    DeliveryPage,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookUpdate,
)

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
def create_webhook(
    data: WebhookCreate, principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> WebhookCreated:
    """Register a receiver URL for some event types. The answer holds the `whsec_` signing
    secret: it is shown this once (store it; rotate it if it is lost)."""
    return service.create_endpoint(session, context, principal, data)


@router.get("", response_model=list[WebhookRead])
def list_webhooks(principal: IssuerAuth, session: SessionDep) -> list[WebhookRead]:
    """The issuer's endpoints (never their secrets)."""
    return [
        WebhookRead.model_validate(e) for e in service.list_endpoints(session, principal.issuer_id)
    ]


@router.get("/{webhook_id}", response_model=WebhookRead)
def get_webhook(webhook_id: uuid.UUID, principal: IssuerAuth, session: SessionDep) -> WebhookRead:
    """One endpoint (never its secret)."""
    return WebhookRead.model_validate(
        service.get_endpoint(session, principal.issuer_id, webhook_id)
    )


@router.patch("/{webhook_id}", response_model=WebhookRead)
def update_webhook(
    webhook_id: uuid.UUID, data: WebhookUpdate, principal: IssuerAuth, session: SessionDep
) -> WebhookRead:
    """Change the subscribed events or the label, or switch the endpoint off (what it has not
    been sent yet is cancelled) and on again."""
    return WebhookRead.model_validate(service.update_endpoint(session, principal, webhook_id, data))


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: uuid.UUID, principal: IssuerAuth, session: SessionDep) -> Response:
    """Delete the endpoint; deliveries not sent yet are cancelled."""
    service.delete_endpoint(session, principal, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookCreated)
def rotate_webhook_secret(
    webhook_id: uuid.UUID, principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> WebhookCreated:
    """A new signing secret, shown this once; the old one is not used from now on."""
    return service.rotate_secret(session, context, principal, webhook_id)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage)
def list_webhook_deliveries(
    webhook_id: uuid.UUID,
    principal: IssuerAuth,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[
        uuid.UUID | None, Query(description="The last delivery id of the previous page.")
    ] = None,
) -> DeliveryPage:
    """The endpoint's deliveries, newest first: state, attempts, last HTTP status and error,
    the next attempt, and the body sent. `next` is the URL of the following page (or null)."""
    rows = service.list_deliveries(
        session, principal.issuer_id, webhook_id, limit=limit, before=before
    )
    following = (
        f"/api/v1/webhooks/{webhook_id}/deliveries?limit={limit}&before={rows[-1].id}"
        if len(rows) == limit
        else None
    )
    return DeliveryPage(items=[service.to_delivery_read(d) for d in rows], next=following)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryRead,
)
def redeliver_webhook(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, principal: IssuerAuth, session: SessionDep
) -> DeliveryRead:
    """Send a delivery again (a new delivery, same `webhook-id`, signed with the current
    secret); it is sent within seconds by the relay."""
    again = service.redeliver(session, principal, webhook_id, delivery_id)
    return service.to_delivery_read(again)
