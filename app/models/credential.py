"""Issued credentials, stored exactly as signed and served byte for byte."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models import lengths
from app.models.base import Base, CreatedAt, UUIDPk


class Credential(UUIDPk, CreatedAt, Base):
    """A signed OpenBadgeCredential and what the service needs to find and show it."""

    __tablename__ = "credentials"
    __table_args__ = (
        UniqueConstraint("issuer_id", "idempotency_key"),
        Index("ix_credentials_issuer_id_created_at", "issuer_id", "created_at"),
    )

    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"))
    achievement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("achievements.id"), index=True)
    recipient_email: Mapped[str | None] = mapped_column(String(lengths.EMAIL), index=True)
    recipient_name: Mapped[str | None] = mapped_column(String(lengths.NAME))
    """Display name for the page only: OB has no place for it inside credentialSubject."""
    recipient_did: Mapped[str | None] = mapped_column(String(lengths.DID), index=True)
    document: Mapped[str] = mapped_column(Text)
    """The signed JSON text, exactly as served at ``/credentials/{id}.json``."""
    jwt: Mapped[str | None] = mapped_column(Text)
    proof_format: Mapped[str] = mapped_column(String(16))
    signing_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("signing_keys.id"))
    jwt_signing_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("signing_keys.id"))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    suspended_at: Mapped[datetime | None] = mapped_column(default=None)
    hidden: Mapped[bool] = mapped_column(default=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(lengths.IDEMPOTENCY_KEY))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    bound_from_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credentials.id"), index=True, default=None
    )
    """The credential this one is a copy of, bound to a wallet holder's DID (its
    ``credentialSubject.id``); its status follows the original's (:mod:`app.offers`)."""
    canonical_seal: Mapped[str | None] = mapped_column(String(96), default=None)
    """The digest of the document's canonical form recorded when it was signed, with a MAC
    binding it to this row and to ``document`` byte for byte (:mod:`app.credentials.seal`):
    the page then checks the proof without canonicalising again. None: not signed with a
    Data Integrity proof, or issued before the seal existed (verified the long way)."""
