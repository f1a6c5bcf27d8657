"""Signing staff in and out: passwords, lockout, the second factor, sign out everywhere.

One answer for every refusal (unknown address, wrong password, wrong code, locked account), so
the form tells nobody which addresses have accounts; an unknown address still costs one
password verification. After :data:`MAX_FAILURES` wrong passwords in a row an account is locked
for :data:`LOCK_FOR`, whoever tries (the per-address rate limit of the router slows one network
down across accounts). Nothing here logs a password, a code or a token.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.console import passwords, repository, totp
from app.core.context import AppContext
from app.models import StaffUser, utcnow

logger = logging.getLogger("app.console")

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)


class SignInRefused(Exception):
    """The address, password or code is not right, or the account is locked (one answer)."""


def normalise_email(email: str) -> str:
    """An address as stored: trimmed, lower case."""
    return email.strip().lower()


def actor_of(user: StaffUser) -> str:
    """The audit log's name for a staff user: ``staff:<user id>`` (stable when the address
    changes; the audit view shows the address beside it)."""
    return f"staff:{user.id}"


def sign_in(
    session: Session, context: AppContext, email: str, password: str, code: str = ""
) -> StaffUser:
    """The user whose ``password`` (and TOTP ``code`` when enrolled) this is; commits the
    failure count either way. Raises :class:`SignInRefused`."""
    now = utcnow()
    user = repository.user_by_email(session, normalise_email(email), for_update=True)
    if user is None or len(password) > passwords.MAX_LENGTH:
        passwords.burn(password[: passwords.MAX_LENGTH])
        raise SignInRefused()
    if user.locked_until is not None and user.locked_until > now:
        passwords.burn(password)
        raise SignInRefused()
    valid, updated = passwords.verify(password, user.password_hash)
    if valid and not totp.check(context, user, code):
        valid = False
    if not valid:
        user.failed_attempts += 1
        if user.failed_attempts >= MAX_FAILURES:
            user.failed_attempts = 0
            user.locked_until = now + LOCK_FOR
            audit.record(
                session,
                actor=actor_of(user),
                action="staff.locked",
                subject_type="staff_user",
                subject_id=user.id,
                details={"minutes": int(LOCK_FOR.total_seconds() // 60)},
            )
            logger.warning("console account locked", extra={"staff_user_id": str(user.id)})
        session.commit()
        raise SignInRefused()
    if updated is not None:
        user.password_hash = updated  # stronger parameters than when it was made
    user.failed_attempts = 0
    user.locked_until = None
    user.last_sign_in_at = now
    return user


def sign_out_everywhere(session: Session, user: StaffUser) -> None:
    """End every session of ``user``, this one included (the caller commits)."""
    user.session_generation += 1
    repository.revoke_all_sessions(session, user.id, utcnow())
    audit.record(
        session,
        actor=actor_of(user),
        action="staff.sign_out_everywhere",
        subject_type="staff_user",
        subject_id=user.id,
    )
