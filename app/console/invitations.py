"""Invitations: how a person gets a console account and a role at an issuer.

An owner (or a platform admin) invites an address with a role; the e-mail carries a single-use
link (:data:`INVITE_PATH` + token; only the token's SHA-256 is stored, the link itself waits in
the outbox sealed, as learners' sign-in links do: :mod:`app.accounts.links`). Following it, the
invitee sets a name and a password, and the account and membership are made in one
transaction. An address that already has an account gets the membership at once (no e-mail:
the person signs in as before and sees the issuer on the console's home).

``badges staff create-admin`` makes an invitation with no issuer that makes a platform admin.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import links
from app.accounts import service as accounts
from app.audit import service as audit
from app.console import passwords, repository, tokens
from app.console.auth_service import actor_of
from app.core.config import Environment
from app.core.context import AppContext
from app.core.errors import AppError, Conflict, NotFound
from app.models import Issuer, StaffInvitation, StaffMembership, StaffUser, lengths, utcnow
from app.models.staff import STAFF_ROLES
from app.outbox import service as outbox

INVITE_TTL = timedelta(days=7)
INVITE_PATH = "/console/invite/"
TEMPLATE = "staff_invite"


class InvitationGone(AppError):
    """The invitation is unknown, used or expired."""

    status, title, code = 410, "Gone", "console_invitation_gone"


class InvitationNotFound(NotFound):
    """No pending invitation with this id at this issuer."""


class InvalidInvite(AppError):
    """An address or role the form cannot use (``field`` names it)."""

    code = "console_invalid_invite"


@dataclass(frozen=True, slots=True)
class Invited:
    """What :func:`invite` did: an invitation (with its link, shown when e-mail is off) or,
    for an address that has an account already, a membership."""

    email: str
    url: str | None = None
    mailed: bool = False
    added: bool = False


def mail_enabled(context: AppContext) -> bool:
    """True when queued e-mail goes somewhere (SMTP, or the development mailbox)."""
    settings = context.settings
    return settings.smtp_url is not None or settings.environment is Environment.DEVELOPMENT


def invite(
    session: Session,
    context: AppContext,
    *,
    email: str,
    role: str | None,
    issuer: Issuer | None,
    invited_by: StaffUser | None,
    language: str,
    actor: str,
    platform_admin: bool = False,
    mail: bool = True,
) -> Invited:
    """Invite ``email`` as ``role`` at ``issuer`` (or as a platform admin); the caller commits.
    ``mail``: False when the caller hands the link over itself (the CLI prints it)."""
    try:
        address = accounts.normalise_email(email)
    except accounts.InvalidEmail as exc:
        raise InvalidInvite("Enter an e-mail address.", field="email") from exc
    if issuer is not None and role not in STAFF_ROLES:
        raise InvalidInvite("Choose a role.", field="role")
    existing = repository.user_by_email(session, address)
    if existing is not None and issuer is not None:
        if repository.membership(session, existing.id, issuer.id) is not None:
            raise Conflict("That person is already a member here.", field="email")
        assert role is not None
        session.add(StaffMembership(user_id=existing.id, issuer_id=issuer.id, role=role))
        audit.record(
            session,
            actor=actor,
            action="staff.member_added",
            subject_type="staff_user",
            subject_id=existing.id,
            issuer_id=issuer.id,
            details={"role": role, "email": address},
        )
        return Invited(email=address, added=True)
    if existing is not None:
        raise Conflict("That address already has a console account.", field="email")
    token = tokens.new_token()
    now = utcnow()
    row = StaffInvitation(
        id=uuid.uuid4(),
        token_hash=tokens.digest(token),
        email=address,
        issuer_id=issuer.id if issuer is not None else None,
        role=role if issuer is not None else None,
        platform_admin=platform_admin,
        invited_by=invited_by.id if invited_by is not None else None,
        created_at=now,
        expires_at=now + INVITE_TTL,
    )
    session.add(row)
    url = f"{context.settings.base_url}{INVITE_PATH}{token}"
    audit.record(
        session,
        actor=actor,
        action="staff.invited",
        subject_type="staff_invitation",
        subject_id=row.id,
        issuer_id=row.issuer_id,
        details={"role": row.role, "email": address, "platformAdmin": platform_admin},
    )
    if not mail or not mail_enabled(context):
        return Invited(email=address, url=url)
    issuer_label = _issuer_label(issuer, language) if issuer is not None else ""
    outbox.add_delivery(
        session,
        channel="email",
        issuer_id=None,  # the service's own message: no issuer quota
        payload={
            "template": TEMPLATE,
            "language": language,
            "to": address,
            "issuerName": issuer_label,
            "role": row.role or "admin",
            "linkId": str(row.id),
            "linkSealed": links.seal_link(context.settings.kek_bytes(), row.id, url),
            "linkExpiresAt": row.expires_at.isoformat(),
        },
        target_id=row.id,
    )
    return Invited(email=address, url=url, mailed=True)


def _issuer_label(issuer: Issuer, language: str) -> str:
    translations = issuer.translations or {}
    for tag in (language, issuer.default_language, *translations):
        name = (translations.get(tag) or {}).get("name")
        if name:
            return str(name)
    return ""


def pending(session: Session, token: str, *, for_update: bool = False) -> StaffInvitation:
    """The unused, unexpired invitation ``token`` names (nothing spent); else gone."""
    if len(token) > tokens.MAX_TOKEN:
        raise InvitationGone("This invitation is not valid.")
    row = repository.invitation(session, tokens.digest(token), for_update=for_update)
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise InvitationGone("This invitation is used, expired or unknown.")
    return row


def accept(
    session: Session, token: str, *, display_name: str, password: str, language: str
) -> StaffUser:
    """Spend the invitation: the account (name, password) and its membership; the caller
    commits. Raises :class:`InvitationGone` or :class:`InvalidInvite`."""
    row = pending(session, token, for_update=True)
    name = " ".join(display_name.split())
    if not name or len(name) > lengths.NAME:
        raise InvalidInvite("Enter your name.", field="name")
    problem = passwords.problem(password)
    if problem is not None:
        raise InvalidInvite(problem, field="password")
    if repository.user_by_email(session, row.email) is not None:
        raise InvitationGone("That address already has a console account; sign in.")
    user = StaffUser(
        id=uuid.uuid4(),
        email=row.email,
        display_name=name,
        password_hash=passwords.hash_password(password),
        language=language,
        platform_admin=row.platform_admin,
    )
    session.add(user)
    session.flush()
    if row.issuer_id is not None and row.role is not None:
        session.add(StaffMembership(user_id=user.id, issuer_id=row.issuer_id, role=row.role))
    row.used_at = utcnow()
    audit.record(
        session,
        actor=actor_of(user),
        action="staff.joined",
        subject_type="staff_user",
        subject_id=user.id,
        issuer_id=row.issuer_id,
        details={"role": row.role, "invitation": str(row.id), "platformAdmin": row.platform_admin},
    )
    return user


def revoke(session: Session, issuer_id: uuid.UUID, invitation_id: uuid.UUID, *, actor: str) -> None:
    """Withdraw a pending invitation to ``issuer_id`` (the caller commits): it expires now, so
    its link answers "used, expired or unknown" from then on. The row stays (``staff.invited``
    names it); an audit row says who withdrew it. Another issuer's, a used or an expired
    invitation: :class:`InvitationNotFound`."""
    now = utcnow()
    row = session.scalars(
        select(StaffInvitation)
        .where(StaffInvitation.id == invitation_id, StaffInvitation.issuer_id == issuer_id)
        .with_for_update()
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise InvitationNotFound("No such pending invitation.")
    row.expires_at = now
    audit.record(
        session,
        actor=actor,
        action="staff.invitation_revoked",
        subject_type="staff_invitation",
        subject_id=row.id,
        issuer_id=issuer_id,
        details={"role": row.role, "email": row.email},
    )
