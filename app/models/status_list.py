"""Bitstring status lists: one purpose per list, its signed credential stored on the row."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamps, UUIDPk


class StatusList(UUIDPk, Timestamps, Base):
    """A status list of one issuer for one purpose (``revocation`` or ``suspension``)."""

    __tablename__ = "status_lists"

    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    size: Mapped[int]
    is_full: Mapped[bool] = mapped_column(default=False)
    """True once every position has been reserved (``next_position >= size``)."""
    next_position: Mapped[int] = mapped_column(default=0, server_default="0")
    """The counter: positions ``[0, next_position)`` are handed out (reserved in blocks, so it
    may pass ``size``; positions past ``size`` are not used). The index of position ``p`` is
    ``openbadges.status_list.permuted_index(bytes.fromhex(permutation_key), size, p)``."""
    permutation_key: Mapped[str] = mapped_column(String(64))
    """Hex of the list's secret permutation key: indexes in random order, each used once."""
    encoded_list: Mapped[str] = mapped_column(Text)
    """The current bits (multibase base64url GZIP), the source of truth for re-signing."""
    document: Mapped[str] = mapped_column(Text)
    """The signed BitstringStatusListCredential served at ``/status/{id}``."""
    revision: Mapped[int] = mapped_column(default=1)
