"""State of the wallet protocols: OpenID4VCI pre-authorized codes, access tokens and nonces, and
VC-API exchanges (see :mod:`app.wallets`).

Rows are made when a wallet comes, never when a claim page is viewed: a grant when a wallet
fetches the offer's ``credential_offer_uri``, an exchange at the wallet's first ``POST`` to
the exchange URL. Both URLs carry the offer's reference, an HMAC of the offer id
(:mod:`app.wallets.bearer`), which is not stored. The secrets a wallet presents are stored as
their SHA-256 only (the pre-authorized code, the access token), so a copy of the database does
not let anyone claim a learner's credential. Rows are single use: a conditional ``UPDATE …
WHERE used_at IS NULL`` marks them, and the caller checks that it changed one row.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models import lengths
from app.models.base import Base, CreatedAt, UUIDPk

HASH = 64
"""A SHA-256 hex digest."""


class WalletGrant(UUIDPk, CreatedAt, Base):
    """A pre-authorized code of an offer (single use), minted when a wallet fetches the offer;
    the code is an HMAC of the row's id (:func:`app.wallets.bearer.pre_authorized_code`)."""

    __tablename__ = "wallet_grants"
    __table_args__ = (Index("ix_wallet_grants_expires_at", "expires_at"),)

    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offers.id"), index=True)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"))
    code_hash: Mapped[str] = mapped_column(String(HASH), unique=True)
    tx_code_hash: Mapped[str | None] = mapped_column(String(HASH), default=None)
    tx_code_failures: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class WalletAccessToken(UUIDPk, CreatedAt, Base):
    """An access token from the token endpoint, bound to its grant's offer.

    The first credential request binds the offer to the holder (``bound_at``, ``credential_id``,
    ``holder_did``); a later request with the same token and the same holder key gets the same
    credential again, in the format it asks for.
    """

    __tablename__ = "wallet_access_tokens"
    __table_args__ = (Index("ix_wallet_access_tokens_expires_at", "expires_at"),)

    grant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("wallet_grants.id"), index=True)
    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offers.id"))
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"))
    token_hash: Mapped[str] = mapped_column(String(HASH), unique=True)
    expires_at: Mapped[datetime]
    bound_at: Mapped[datetime | None] = mapped_column(default=None)
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credentials.id"), default=None
    )
    holder_did: Mapped[str | None] = mapped_column(String(lengths.DID), default=None)


class WalletNonce(UUIDPk, CreatedAt, Base):
    """A ``c_nonce`` from the nonce endpoint; a key proof spends it once."""

    __tablename__ = "wallet_nonces"
    __table_args__ = (Index("ix_wallet_nonces_expires_at", "expires_at"),)

    nonce: Mapped[str] = mapped_column(String(HASH), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class WalletExchange(UUIDPk, CreatedAt, Base):
    """A VC-API exchange of an offer (DIDAuthentication, then the credential); single use. Its
    URL is the offer's (stable); the row is made at the wallet's first ``POST``."""

    __tablename__ = "wallet_exchanges"
    __table_args__ = (Index("ix_wallet_exchanges_expires_at", "expires_at"),)

    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offers.id"), index=True)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"))
    challenge: Mapped[str] = mapped_column(String(HASH))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credentials.id"), default=None
    )
    holder_did: Mapped[str | None] = mapped_column(String(lengths.DID), default=None)
