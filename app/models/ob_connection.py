"""The Service Consumer (Write) side of the Open Badges API (:mod:`app.obconsumer`).

A learner sends their credentials to another Open Badges 3.0 host of their choice: this service
registers itself there once per host (RFC 7591), then each learner authorizes it (OAuth 2.0
authorization code with PKCE) and it keeps that learner's tokens for that host. Every secret it
must read back (the client secret, the access and refresh tokens, a pending PKCE verifier) is
sealed at rest (:mod:`app.core.sealing`); the ``state`` of a pending authorization is stored as
its SHA-256 only.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, CreatedAt, Timestamps, UUIDPk


class ObHostClient(UUIDPk, CreatedAt, Base):
    """This service, registered as an app at one host (``api_root``: its API root, e.g.
    ``https://other.example/ims/ob/v3p0``), with the endpoints its discovery document named.
    ``redirect_uri``: the callback registered (a new base URL registers again)."""

    __tablename__ = "ob_host_clients"

    api_root: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    authorization_url: Mapped[str] = mapped_column(Text)
    token_url: Mapped[str] = mapped_column(Text)
    refresh_url: Mapped[str] = mapped_column(Text)
    revocation_url: Mapped[str | None] = mapped_column(Text, default=None)
    scopes: Mapped[str] = mapped_column(Text)
    """The scopes the host offers that this service asked for (space-separated)."""
    redirect_uri: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(Text)
    sealed_client_secret: Mapped[bytes] = mapped_column(LargeBinary)


class ObConnection(UUIDPk, Timestamps, Base):
    """A learner's authorization at one host: the tokens (sealed) and the scopes granted."""

    __tablename__ = "ob_connections"
    __table_args__ = (UniqueConstraint("account_id", "host_client_id"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learner_accounts.id", ondelete="CASCADE"), index=True
    )
    host_client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ob_host_clients.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(Text)
    sealed_access_token: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_refresh_token: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    access_expires_at: Mapped[datetime | None] = mapped_column(default=None)


class ObAuthorization(UUIDPk, CreatedAt, Base):
    """A pending authorization: the learner was sent to the host's authorization page. Single
    use (deleted by the callback), bound to the learner's browser session (``session_hash``:
    the SHA-256 of its cookie), short-lived."""

    __tablename__ = "ob_authorizations"

    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learner_accounts.id", ondelete="CASCADE"), index=True
    )
    session_hash: Mapped[str] = mapped_column(String(64))
    host_client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ob_host_clients.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(Text)
    sealed_code_verifier: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime]
    push_request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ob_push_requests.id", ondelete="SET NULL"), default=None
    )
    """The issuer's request this authorization was started to carry out (sent on callback)."""


class ObPushRequest(UUIDPk, CreatedAt, Base):
    """An issuer's request that a learner send one of its credentials to another Open Badges
    host (:mod:`app.pushes`). Nothing leaves this service until the learner, signed in with the
    credential's address, approves it; then the Service Consumer (Write) flow sends it.

    ``state``: ``pending`` (waiting for the learner), ``sent`` (the host took it), ``failed``
    (the host refused it; the learner may approve again until ``expires_at``), ``declined``
    (by the learner), ``cancelled`` (by the issuer). A pending one past ``expires_at`` reads as
    ``expired``.
    """

    __tablename__ = "ob_push_requests"

    issuer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("issuers.id", ondelete="CASCADE"), index=True
    )
    credential_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credentials.id", ondelete="CASCADE"), index=True
    )
    api_root: Mapped[str] = mapped_column(Text)
    host_name: Mapped[str] = mapped_column(Text)
    recipient_email: Mapped[str] = mapped_column(String(320), index=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("learner_accounts.id", ondelete="SET NULL"), default=None
    )
    result_status: Mapped[int | None] = mapped_column(default=None)
    result_detail: Mapped[str | None] = mapped_column(Text, default=None)
    actor: Mapped[str] = mapped_column(String(200))
