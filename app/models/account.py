"""Learner accounts: one place for a learner's credentials on this service.

An account is reached by signing in with an e-mail link (:mod:`app.accounts`). It holds the
learner's verified addresses (credentials issued to any of them are the learner's) and the
credentials kept for the learner from elsewhere: uploaded by the learner, or upserted by an
app through the Open Badges 3.0 API (``/ims/ob/v3p0/credentials``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models import lengths
from app.models.base import Base, CreatedAt, Timestamps, UUIDPk


class LearnerAccount(UUIDPk, Timestamps, Base):
    """A learner. ``language``: the pages' and e-mails' language (BCP 47, e.g. ``zh-CN``);
    ``name``: the profile's name (OB 3.0 ``Profile.name``, served by ``GET /profile``)."""

    __tablename__ = "learner_accounts"

    language: Mapped[str] = mapped_column(String(lengths.LANGUAGE_TAG), default="en")
    name: Mapped[str | None] = mapped_column(String(lengths.NAME), default=None)


class LearnerEmail(UUIDPk, CreatedAt, Base):
    """An e-mail address of an account, normalised (lower case, trimmed). An address belongs to
    at most one account; it counts (its credentials are the learner's) once ``verified_at`` is
    set, by following a link sent to it."""

    __tablename__ = "learner_emails"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learner_accounts.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(lengths.EMAIL), unique=True)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)


class SignInToken(UUIDPk, CreatedAt, Base):
    """A single-use e-mail link: sign in (and verify ``email``), or add ``email`` to the
    signed-in ``account_id``. Only the token's SHA-256 is stored."""

    __tablename__ = "learner_sign_in_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(lengths.EMAIL), index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("learner_accounts.id", ondelete="CASCADE"), default=None
    )
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class LearnerSession(UUIDPk, CreatedAt, Base):
    """A signed-in browser: the cookie carries a random token, stored here as SHA-256."""

    __tablename__ = "learner_sessions"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learner_accounts.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class HostedCredential(UUIDPk, Timestamps, Base):
    """A credential kept for a learner that this service did not issue (or a copy of one it
    did): uploaded on the learner's page or upserted through ``POST /ims/ob/v3p0/credentials``.

    OB 3.0 §"Open Badges API": two credentials are the same when their ``issuer.id`` and ``id``
    are; an upsert of the same one replaces ``document``. ``compact_jws``: the VC-JWT form when
    that is what was given (``document`` is then its decoded payload's credential).
    """

    __tablename__ = "hosted_credentials"
    __table_args__ = (
        UniqueConstraint("account_id", "issuer_iri", "credential_iri"),
        Index("ix_hosted_credentials_account_id_updated_at", "account_id", "updated_at"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learner_accounts.id", ondelete="CASCADE")
    )
    issuer_iri: Mapped[str] = mapped_column(String(lengths.URL))
    credential_iri: Mapped[str] = mapped_column(String(lengths.URL))
    document: Mapped[str] = mapped_column(Text)
    compact_jws: Mapped[str | None] = mapped_column(Text, default=None)
    source: Mapped[str] = mapped_column(String(200))
    """Who brought it: ``upload`` or ``app:<client_id>``."""
    hidden: Mapped[bool] = mapped_column(default=False)


class AccountHiddenCredential(CreatedAt, Base):
    """A credential this service issued to one of the account's addresses that the learner
    hid from their account page and from the apps they authorized (its public page is
    untouched: that is the credential's own ``hidden``)."""

    __tablename__ = "learner_hidden_credentials"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learner_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    credential_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True
    )
