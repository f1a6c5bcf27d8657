"""Revocations, suspensions and unsuspensions: who, when, why."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, CreatedAt, UUIDPk


class StatusEvent(UUIDPk, CreatedAt, Base):
    """One status change of a credential (append-only)."""

    __tablename__ = "status_events"

    credential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credentials.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    """``revocation``, ``suspension`` or ``unsuspension``."""
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
