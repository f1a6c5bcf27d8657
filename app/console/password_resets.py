"""A staff member who forgot the password asks for a link on the sign-in page.

``request_reset`` e-mails a single-use link (:data:`RESET_PATH` + token, valid for
:data:`RESET_TTL`; only the token's SHA-256 is stored, the link waits in the outbox sealed, as an
invitation's does) to the account's own address, in the account's language. The answer on the
page is the same whether or not an account uses the address, so the form tells nobody which
addresses have accounts; one link per account per :data:`RESEND_AFTER` at most, so the form
cannot be used to flood someone's mailbox (the router's per-network limit slows one network
across addresses).

``complete`` sets the new password, spends every pending link of the account, ends all of its
sessions (whoever knew the old password is signed out) and lifts a lockout (the person has
proved control of the address). The second factor stays: signing in afterwards still asks for
the authenticator's code. Where no e-mail can be sent (production without SMTP) there is no
form: an administrator gives a new password with ``badges staff set-password``.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from app.accounts import links
from app.accounts import service as accounts
from app.audit import service as audit
from app.console import invitations, passwords, repository, tokens
from app.console.auth_service import actor_of
from app.core.context import AppContext
from app.core.errors import AppError
from app.models import StaffPasswordReset, StaffUser, utcnow
from app.outbox import service as outbox

RESET_TTL = timedelta(hours=1)
RESEND_AFTER = timedelta(minutes=5)
RESET_PATH = "/console/reset-password/"
TEMPLATE = "staff_reset"


class ResetGone(AppError):
    """The link is used, expired or unknown."""

    status, title, code = 410, "Gone", "console_reset_gone"


class InvalidPassword(AppError):
    """The new password cannot be used; ``detail`` is a ``console.password.*`` message key."""

    code = "console_invalid_password"


def request_reset(session: Session, context: AppContext, email: str) -> None:
    """Queue a reset link for the account using ``email``, if there is one and it was not sent
    one in the last :data:`RESEND_AFTER`; nothing otherwise (the caller answers the same either
    way, and commits).

    Raises:
        app.accounts.service.InvalidEmail: ``email`` is not an e-mail address (saying so tells
            nothing about accounts).
    """
    address = accounts.normalise_email(email)
    if not invitations.mail_enabled(context):
        return
    user = repository.user_by_email(session, address)
    now = utcnow()
    if user is None or repository.reset_asked_since(session, user.id, now - RESEND_AFTER):
        return
    token = tokens.new_token()
    row = StaffPasswordReset(
        user_id=user.id, token_hash=tokens.digest(token), created_at=now, expires_at=now + RESET_TTL
    )
    session.add(row)
    session.flush()
    url = f"{context.settings.base_url}{RESET_PATH}{token}"
    audit.record(
        session,
        actor=actor_of(user),
        action="staff.password_reset_asked",
        subject_type="staff_user",
        subject_id=user.id,
    )
    outbox.add_delivery(
        session,
        channel="email",
        issuer_id=None,  # the service's own message: no issuer quota
        payload={
            "template": TEMPLATE,
            "language": user.language,
            "to": user.email,
            "linkId": str(row.id),
            "linkSealed": links.seal_link(context.settings.kek_bytes(), row.id, url),
            "linkExpiresAt": row.expires_at.isoformat(),
        },
        target_id=row.id,
    )


def pending(session: Session, token: str, *, for_update: bool = False) -> StaffPasswordReset:
    """The unused, unexpired reset ``token`` names (nothing spent); else :class:`ResetGone`."""
    if len(token) > tokens.MAX_TOKEN:
        raise ResetGone("This link is not valid.")
    row = repository.password_reset(session, tokens.digest(token), for_update=for_update)
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise ResetGone("This link is used, expired or unknown.")
    return row


def account_of(session: Session, token: str) -> StaffUser:
    """The account an unused, unexpired reset ``token`` is for (nothing spent); else
    :class:`ResetGone`."""
    user = session.get(StaffUser, pending(session, token).user_id)
    if user is None:  # the account was deleted since (its resets went with it)
        raise ResetGone("This link is used, expired or unknown.")
    return user


def complete(session: Session, token: str, password: str) -> StaffUser:
    """Give the account of ``token`` the new ``password`` (see the module docstring); the
    caller commits.

    Raises:
        ResetGone: the link cannot be used (any more).
        InvalidPassword: too short or too long.
    """
    row = pending(session, token, for_update=True)
    problem = passwords.problem(password)
    if problem is not None:
        raise InvalidPassword(problem, field="password")
    user = session.get(StaffUser, row.user_id, with_for_update=True)
    if user is None:  # the account was deleted since (its resets went with it)
        raise ResetGone("This link is used, expired or unknown.")
    now = utcnow()
    user.password_hash = passwords.hash_password(password)
    user.failed_attempts = 0
    user.locked_until = None
    user.session_generation += 1
    repository.revoke_all_sessions(session, user.id, now)
    repository.use_all_resets(session, user.id, now)
    audit.record(
        session,
        actor=actor_of(user),
        action="staff.password_reset",
        subject_type="staff_user",
        subject_id=user.id,
    )
    return user
