"""API keys of issuers: only the SHA-256 of the token is stored."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models import lengths
from app.models.base import Base, CreatedAt, UUIDPk


class ApiKey(UUIDPk, CreatedAt, Base):
    """A bearer token scoped to one issuer; revocable, never shown again after creation."""

    __tablename__ = "api_keys"

    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"), index=True)
    name: Mapped[str] = mapped_column(String(lengths.API_KEY_NAME))
    prefix: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
