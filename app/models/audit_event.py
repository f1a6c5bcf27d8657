"""The append-only audit log: who issued, revoked or rotated what, when, with which key."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, CreatedAt, JsonType, UUIDPk


class AuditEvent(UUIDPk, CreatedAt, Base):
    """One audited action; rows are only ever inserted."""

    __tablename__ = "audit_events"

    issuer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("issuers.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    """``admin`` or ``api-key:<prefix>`` or ``cli``."""
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(255))
    signing_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("signing_keys.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
