"""API shapes of webhook endpoints and their deliveries.

The signing secret appears in :class:`WebhookCreated` only: the answer to the create (and to
the rotate) call is the one time it is shown.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from app.core.schemas import ApiModel, Bool, HttpUrl, ReadModel, ShortText

EventType = Literal[
    "credential.issued",
    "credential.revoked",
    "credential.suspended",
    "credential.unsuspended",
    "credential.claimed",
    "batch.completed",
    "program.completed",
    "push.requested",
    "push.completed",
]
"""The event types a webhook can subscribe to (the outbox's, ``app.outbox.service.EVENT_TYPES``)."""


def _distinct(events: list[str]) -> list[str]:
    """The subscribed types in the order given, each once."""
    return list(dict.fromkeys(events))


class WebhookCreate(ApiModel):
    """A new endpoint: where to send, which events, an optional label."""

    url: HttpUrl
    events: list[EventType] = Field(min_length=1, max_length=16)
    description: ShortText | None = None
    enabled: Bool = True

    @field_validator("events")
    @classmethod
    def _events(cls, events: list[str]) -> list[str]:
        return _distinct(events)


class WebhookUpdate(ApiModel):
    """A partial change: subscribed events, label, or switching the endpoint off and on."""

    events: list[EventType] | None = Field(default=None, min_length=1, max_length=16)
    description: ShortText | None = None
    enabled: Bool | None = None

    @field_validator("events")
    @classmethod
    def _events(cls, events: list[str] | None) -> list[str] | None:
        return None if events is None else _distinct(events)


class WebhookRead(ReadModel):
    """An endpoint as listed: never its secret."""

    id: uuid.UUID
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    created_at: datetime


class WebhookCreated(WebhookRead):
    """Returned at creation (and rotation) only: the one time the secret is shown."""

    secret: str = Field(description="The `whsec_…` signing secret; it is not shown again.")


class DeliveryRead(ReadModel):
    """One message to an endpoint and how sending it went."""

    id: uuid.UUID
    webhook_id: uuid.UUID
    event_id: uuid.UUID | None
    event_type: str
    message_id: str = Field(
        description="The `webhook-id` header: the same on every retry and redelivery."
    )
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    sent_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    payload: dict[str, Any] = Field(description="The body sent: `type`, `timestamp`, `data`.")


class DeliveryPage(ReadModel):
    """Deliveries newest first, and the URL of the next page (null on the last one)."""

    items: list[DeliveryRead]
    next: str | None = None
