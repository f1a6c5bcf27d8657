"""Issuer signing keys; the private half is AES-GCM sealed (see ``app.core.keystore``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, CreatedAt, JsonType, UUIDPk


class SigningKey(UUIDPk, CreatedAt, Base):
    """One key of an issuer. Never deleted: retired keys stay in the DID document."""

    __tablename__ = "signing_keys"

    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"), index=True)
    key_type: Mapped[str] = mapped_column(String(16))
    """``Ed25519`` (Data Integrity, or EdDSA VC-JWT), ``RSA`` (RS256 VC-JWT, the default) or ``P-256``."""
    purpose: Mapped[str] = mapped_column(String(32))
    """``data-integrity`` or ``jwt``: which proof this key makes while active."""
    state: Mapped[str] = mapped_column(String(16), default="active")
    verification_method: Mapped[str] = mapped_column(String(512), unique=True)
    """The DID URL (``did:web:…#z6Mk…`` or ``#<jwk thumbprint>``) used as proof key id."""
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JsonType)
    public_multibase: Mapped[str | None] = mapped_column(String(128))
    sealed_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    """``nonce || AES-GCM(ciphertext+tag)`` of the PKCS#8 PEM."""
    kek_id: Mapped[str] = mapped_column(String(32))
    """Fingerprint of the key-encryption key that sealed it (to re-wrap after a KEK change)."""
    retired_at: Mapped[datetime | None] = mapped_column(default=None)
