"""Endorsements: EndorsementCredentials signed by a partner issuer, stored as signed."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models import lengths
from app.models.base import Base, CreatedAt, UUIDPk


class Endorsement(UUIDPk, CreatedAt, Base):
    """One signed endorsement in one language; a bilingual request makes a group of rows."""

    __tablename__ = "endorsements"
    __table_args__ = (Index("ix_endorsements_target", "target_type", "target_id"),)

    group_id: Mapped[uuid.UUID] = mapped_column(index=True)
    """Shared by the language versions created by one request."""
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"), index=True)
    """The endorsing partner (taken from the API key, never from the request body)."""
    target_type: Mapped[str] = mapped_column(String(16))
    """``achievement``, ``program``, ``credential`` or ``issuer``."""
    target_id: Mapped[str] = mapped_column(String(64))
    """The service's id of the target (achievement lineage, program, credential, issuer)."""
    subject_uri: Mapped[str] = mapped_column(String(2048), index=True)
    """``credentialSubject.id``: the endorsed thing's public id."""
    language: Mapped[str] = mapped_column(String(lengths.LANGUAGE_TAG))
    comment: Mapped[str] = mapped_column(Text)
    document: Mapped[str] = mapped_column(Text)
    """The signed JSON text, served unchanged at ``/endorsements/{id}``."""
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the target's owner agreed to carry it; only accepted ones are embedded."""
    declined_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the target's owner refused it; at most one of the two is set (neither: pending)."""

    @property
    def state(self) -> str:
        """``pending``, ``accepted`` or ``declined``: the owner's decision on this endorsement."""
        if self.accepted_at is not None:
            return "accepted"
        return "declined" if self.declined_at is not None else "pending"
