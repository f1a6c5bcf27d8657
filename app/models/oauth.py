"""The OAuth 2.0 authorization server of the Open Badges API (:mod:`app.obapi`).

Apps register themselves (RFC 7591), a learner authorizes one on the consent page, and the app
then holds tokens bound to that client, that learner account and the scopes granted. Every
secret (client secret, authorization code, access and refresh token) is stored as its SHA-256
only.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, CreatedAt, UUIDPk


class OAuthClient(UUIDPk, CreatedAt, Base):
    """A registered app. ``client_metadata``: the registration's metadata as JSON (RFC 7591
    §2: ``client_name``, ``client_uri``, ``logo_uri``, ``tos_uri``, ``policy_uri``,
    ``software_id``, ``software_version``, ``redirect_uris``, ``scope``, …), as registered."""

    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_secret_hash: Mapped[str] = mapped_column(String(64))
    client_metadata: Mapped[str] = mapped_column(Text)


class OAuthCode(UUIDPk, CreatedAt, Base):
    """An authorization code: single use (``used_at``), 10 minutes, PKCE S256 only."""

    __tablename__ = "oauth_codes"

    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_pk: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learner_accounts.id", ondelete="CASCADE"), index=True
    )
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class OAuthToken(UUIDPk, CreatedAt, Base):
    """An access token and its refresh token (one pair; a refresh makes a new pair and revokes
    this one). Revoking either revokes the pair. ``code_pk``: the code it came from, so a
    replayed code can revoke what it gave (RFC 6749 §4.1.2)."""

    __tablename__ = "oauth_tokens"
    __table_args__ = (Index("ix_oauth_tokens_account_id_client_pk", "account_id", "client_pk"),)

    client_pk: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learner_accounts.id", ondelete="CASCADE")
    )
    code_pk: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("oauth_codes.id", ondelete="SET NULL"), index=True, default=None
    )
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    scope: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
