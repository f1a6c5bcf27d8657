"""Webhook endpoints of issuers: where the outbox sends signed event notifications.

The signing secret (a Standard Webhooks ``whsec_`` secret) is needed in clear to compute each
HMAC, so it cannot be stored as a hash like an API key: it is sealed at rest with AES-256-GCM
under a key derived from the key-encryption key, as signing keys are (see
:mod:`app.webhooks.secrets`), with the endpoint's id as associated data.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models import lengths
from app.models.base import Base, CreatedAt, JsonType, UUIDPk


class WebhookEndpoint(UUIDPk, CreatedAt, Base):
    """One receiver URL of an issuer and the event types it subscribes to."""

    __tablename__ = "webhook_endpoints"

    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"), index=True)
    url: Mapped[str] = mapped_column(String(lengths.URL))
    """The receiver (``https``; checked against the SSRF rules at creation and at every send)."""
    events: Mapped[list[str]] = mapped_column(JsonType)
    """Subscribed event types (``credential.issued``…), a subset of the outbox's."""
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary)
    """``nonce || AES-GCM(ciphertext+tag)`` of the ``whsec_…`` secret."""
    kek_id: Mapped[str] = mapped_column(String(32))
    """Fingerprint of the key-encryption key that sealed it."""
    description: Mapped[str | None] = mapped_column(Text, default=None)
    enabled: Mapped[bool] = mapped_column(default=True)
