"""Offers: the learner's claim link to one credential (only the token's SHA-256 is stored)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, CreatedAt, UUIDPk


class Offer(UUIDPk, CreatedAt, Base):
    """A claim link (``/claim/{token}``) to one credential of one issuer.

    The raw token (32 random bytes, URL-safe base64) is returned once, when the offer is made;
    the link stops working at ``expires_at`` or ``revoked_at``. The credential itself never
    expires with its link. ``claimed_at``: when a wallet first took a copy bound to its DID.
    """

    __tablename__ = "offers"
    __table_args__ = (Index("ix_offers_credential_id_created_at", "credential_id", "created_at"),)

    credential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credentials.id"))
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    actor: Mapped[str] = mapped_column(String(200))
