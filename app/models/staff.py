"""Staff accounts for the console (issue 14): the people who run an issuer from a browser.

The admin token and API keys stay for machines; these rows are for registrars, coordinators
and mentors. A staff user signs in with an e-mail address and a password (an Argon2id hash,
:mod:`app.console.passwords`), optionally a TOTP code (its secret sealed at rest with
:mod:`app.core.sealing`, like webhook secrets), and holds one role per issuer through a
:class:`StaffMembership`. Sessions and invitations store only the SHA-256 of their tokens, as
learner sessions and sign-in links do (:mod:`app.models.account`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models import lengths
from app.models.base import Base, CreatedAt, JsonType, Timestamps, UUIDPk

STAFF_ROLES = ("owner", "issuer", "assessor", "viewer")
"""Roles per issuer, widest first. ``owner`` ⊇ ``issuer`` ⊇ ``viewer``; ``assessor`` stands
apart (results and evidence for its assigned modules only)."""


class StaffUser(UUIDPk, Timestamps, Base):
    """A person with a console account.

    ``password_hash`` is None until the person sets one (an invited platform admin).
    ``session_generation`` counts "sign out everywhere": a session made under an older
    generation no longer counts. ``failed_attempts`` / ``locked_until`` lock the account after
    repeated wrong passwords (:mod:`app.console.auth_service`).
    """

    __tablename__ = "staff_users"

    email: Mapped[str] = mapped_column(String(lengths.EMAIL), unique=True)
    display_name: Mapped[str] = mapped_column(String(lengths.NAME))
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    totp_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    """``nonce || AES-GCM(base32 TOTP secret)``, the user's id as associated data."""
    totp_kek_id: Mapped[str | None] = mapped_column(String(64), default=None)
    """Fingerprint of the key-encryption key that sealed ``totp_sealed``."""
    language: Mapped[str] = mapped_column(String(lengths.LANGUAGE_TAG), default="en")
    platform_admin: Mapped[bool] = mapped_column(default=False)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    session_generation: Mapped[int] = mapped_column(default=0)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(default=None)


class StaffMembership(UUIDPk, CreatedAt, Base):
    """A staff user's role at one issuer (one row per user and issuer).

    ``assigned_modules``: for an ``assessor``, the achievement or program-module ids the person
    may record results for (None: none yet). The hook for the assessor workflow; nothing reads
    it yet.
    """

    __tablename__ = "staff_memberships"
    __table_args__ = (UniqueConstraint("user_id", "issuer_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    issuer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("issuers.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    assigned_modules: Mapped[list[Any] | None] = mapped_column(JsonType, default=None)


class StaffSession(UUIDPk, CreatedAt, Base):
    """A signed-in browser: the ``console_session`` cookie carries a random token, stored here
    as SHA-256. ``generation`` is the user's ``session_generation`` when it was made."""

    __tablename__ = "staff_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    generation: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class StaffInvitation(UUIDPk, CreatedAt, Base):
    """A single-use invitation: whoever follows the e-mailed link sets a name and password and
    gets ``role`` at ``issuer_id`` (or, with no issuer, becomes a platform admin when
    ``platform_admin``). ``invited_by`` is None when the CLI made it."""

    __tablename__ = "staff_invitations"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(lengths.EMAIL), index=True)
    issuer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("issuers.id", ondelete="CASCADE"), default=None
    )
    role: Mapped[str | None] = mapped_column(String(16), default=None)
    platform_admin: Mapped[bool] = mapped_column(default=False)
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), default=None
    )
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class StaffPasswordReset(UUIDPk, CreatedAt, Base):
    """A single-use link to choose a new password, asked for on the sign-in page and e-mailed
    to the account's address (:mod:`app.console.password_resets`); only the token's SHA-256
    is stored. Using one marks every pending reset of the account used."""

    __tablename__ = "staff_password_resets"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
