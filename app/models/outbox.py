"""The outbox: what must reach the outside world, written with the data it is about.

Two stages (the transactional outbox pattern):

* :class:`OutboxEvent`: a fact ("credential.issued") written in the same transaction as the
  change, so a rolled-back write announces nothing and a committed one cannot be lost;
* :class:`Delivery`: one message to send (an e-mail, a webhook call), made from an event by the
  channels' fan-out handlers in the job runner after the commit, and sent with retries.

Senders never run inside a database transaction; a delivery is leased while it is being sent.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, CreatedAt, JsonType, UUIDPk

DELIVERY_STATES = ("pending", "sent", "failed", "cancelled")


class OutboxEvent(UUIDPk, CreatedAt, Base):
    """Something that happened which a channel may announce (``type``: ``credential.issued``…)."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_events_dispatched_at_created_at", "dispatched_at", "created_at"),
    )

    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"))
    type: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    """The credential or batch the event is about."""
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    dispatched_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the fan-out made this event's deliveries (None: not yet)."""


class Delivery(UUIDPk, CreatedAt, Base):
    """One message on one channel, and how sending it went."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_deliveries_target_id_created_at", "target_id", "created_at"),
    )

    event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outbox_events.id"), default=None)
    issuer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("issuers.id"), index=True)
    """The issuer whose message it is; None for the service's own (a learner's sign-in link)."""
    channel: Mapped[str] = mapped_column(String(16))
    """``email`` or ``webhook``."""
    target_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    """The webhook endpoint, or the credential an e-mail is about."""
    message_id: Mapped[str] = mapped_column(String(64))
    """Stable across retries and redeliveries (Standard Webhooks ``webhook-id``, Message-ID)."""
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    last_status: Mapped[int | None] = mapped_column(default=None)
    """The last attempt's HTTP status or SMTP reply code."""
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
