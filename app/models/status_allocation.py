"""Which index of which status list a credential holds (unique per list)."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, CreatedAt, UUIDPk


class StatusAllocation(UUIDPk, CreatedAt, Base):
    """An index taken in a list; the unique constraint is what stops double allocation."""

    __tablename__ = "status_allocations"
    __table_args__ = (
        UniqueConstraint("list_id", "index"),
        UniqueConstraint("credential_id", "list_id"),
    )

    list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("status_lists.id"))
    index: Mapped[int]
    credential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credentials.id"))
    purpose: Mapped[str] = mapped_column(String(16))
