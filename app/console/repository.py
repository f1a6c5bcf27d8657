"""Rows of the console: staff users, memberships, sessions, invitations, password resets, and
the audit reads.

Only queries live here; what they mean (who may, what is locked) is the services' business.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from app.models import (
    AuditEvent,
    Issuer,
    StaffInvitation,
    StaffMembership,
    StaffPasswordReset,
    StaffSession,
    StaffUser,
)

# --- users ----------------------------------------------------------------------------------


def user_by_email(session: Session, email: str, *, for_update: bool = False) -> StaffUser | None:
    """The user with this (normalised) address."""
    query = select(StaffUser).where(StaffUser.email == email)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def users_by_ids(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, StaffUser]:
    """Users by id (for naming audit actors)."""
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))}


# --- memberships ----------------------------------------------------------------------------


def membership(
    session: Session, user_id: uuid.UUID, issuer_id: uuid.UUID
) -> StaffMembership | None:
    """The user's membership at the issuer."""
    return session.scalars(
        select(StaffMembership).where(
            StaffMembership.user_id == user_id, StaffMembership.issuer_id == issuer_id
        )
    ).first()


def membership_by_id(
    session: Session, issuer_id: uuid.UUID, membership_id: uuid.UUID, *, for_update: bool = False
) -> StaffMembership | None:
    """A membership of this issuer (another issuer's id finds nothing)."""
    query = select(StaffMembership).where(
        StaffMembership.id == membership_id, StaffMembership.issuer_id == issuer_id
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def issuers_of(session: Session, user: StaffUser) -> list[tuple[Issuer, str]]:
    """``(issuer, role)`` of every issuer the user may open; a platform admin opens every
    issuer, as ``owner`` where it holds no membership."""
    held = session.execute(
        select(Issuer, StaffMembership.role)
        .join(StaffMembership, StaffMembership.issuer_id == Issuer.id)
        .where(StaffMembership.user_id == user.id)
    ).all()
    pairs = [(issuer, role) for issuer, role in held]
    if user.platform_admin:
        seen = {issuer.id for issuer, _ in pairs}
        pairs += [(i, "owner") for i in session.scalars(select(Issuer)) if i.id not in seen]
    return pairs


def members(session: Session, issuer_id: uuid.UUID) -> list[tuple[StaffMembership, StaffUser]]:
    """The issuer's memberships with their users, by e-mail address."""
    rows = session.execute(
        select(StaffMembership, StaffUser)
        .join(StaffUser, StaffUser.id == StaffMembership.user_id)
        .where(StaffMembership.issuer_id == issuer_id)
        .order_by(StaffUser.email)
    ).all()
    return [(m, u) for m, u in rows]


def owner_count(session: Session, issuer_id: uuid.UUID) -> int:
    """How many owners the issuer has (rows locked: two removals cannot both see two)."""
    ids = session.scalars(
        select(StaffMembership.id)
        .where(StaffMembership.issuer_id == issuer_id, StaffMembership.role == "owner")
        .with_for_update()
    ).all()
    return len(ids)


# --- sessions -------------------------------------------------------------------------------


def live_session(
    session: Session, token_hash: str, now: datetime
) -> tuple[StaffSession, StaffUser] | None:
    """The unexpired, unrevoked session with this hash, of the current generation."""
    row = session.execute(
        select(StaffSession, StaffUser)
        .join(StaffUser, StaffUser.id == StaffSession.user_id)
        .where(
            StaffSession.token_hash == token_hash,
            StaffSession.expires_at > now,
            StaffSession.revoked_at.is_(None),
            StaffSession.generation == StaffUser.session_generation,
        )
    ).first()
    return (row[0], row[1]) if row else None


def revoke_session(session: Session, token_hash: str, now: datetime) -> None:
    """Revoke one session."""
    session.execute(
        update(StaffSession)
        .where(StaffSession.token_hash == token_hash, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_all_sessions(session: Session, user_id: uuid.UUID, now: datetime) -> None:
    """Revoke every session of a user (sign out everywhere; a removed member)."""
    session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


# --- password resets ------------------------------------------------------------------------


def password_reset(
    session: Session, token_hash: str, *, for_update: bool = False
) -> StaffPasswordReset | None:
    """The password reset with this token hash."""
    query = select(StaffPasswordReset).where(StaffPasswordReset.token_hash == token_hash)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def reset_asked_since(session: Session, user_id: uuid.UUID, since: datetime) -> bool:
    """Whether a password reset of the user was made at or after ``since``."""
    found = session.scalar(
        select(StaffPasswordReset.id)
        .where(StaffPasswordReset.user_id == user_id, StaffPasswordReset.created_at >= since)
        .limit(1)
    )
    return found is not None


def use_all_resets(session: Session, user_id: uuid.UUID, now: datetime) -> None:
    """Mark every pending password reset of a user used (one was; the others lapse with it)."""
    session.execute(
        update(StaffPasswordReset)
        .where(StaffPasswordReset.user_id == user_id, StaffPasswordReset.used_at.is_(None))
        .values(used_at=now)
    )


# --- invitations ----------------------------------------------------------------------------


def invitation(
    session: Session, token_hash: str, *, for_update: bool = False
) -> StaffInvitation | None:
    """The invitation with this token hash."""
    query = select(StaffInvitation).where(StaffInvitation.token_hash == token_hash)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def pending_invitations(
    session: Session, issuer_id: uuid.UUID, now: datetime
) -> Sequence[StaffInvitation]:
    """Unused, unexpired invitations to the issuer, newest first."""
    return session.scalars(
        select(StaffInvitation)
        .where(
            StaffInvitation.issuer_id == issuer_id,
            StaffInvitation.used_at.is_(None),
            StaffInvitation.expires_at > now,
        )
        .order_by(StaffInvitation.created_at.desc())
    ).all()


# --- the audit log --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What the audit view narrows to (each optional; strings match exactly, ``action`` also
    as a prefix when it ends with ``.``, e.g. ``credential.``)."""

    actor: str | None = None
    action: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _audit_query(issuer_id: uuid.UUID, f: AuditFilter) -> Select[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.issuer_id == issuer_id)
    if f.actor:
        query = query.where(AuditEvent.actor == f.actor)
    if f.action:
        if f.action.endswith("."):
            query = query.where(AuditEvent.action.startswith(f.action, autoescape=True))
        else:
            query = query.where(AuditEvent.action == f.action)
    if f.subject_type:
        query = query.where(AuditEvent.subject_type == f.subject_type)
    if f.subject_id:
        query = query.where(AuditEvent.subject_id == f.subject_id)
    if f.since:
        query = query.where(AuditEvent.created_at >= f.since)
    if f.until:
        query = query.where(AuditEvent.created_at < f.until)
    return query


def audit_page(
    session: Session,
    issuer_id: uuid.UUID,
    f: AuditFilter,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[AuditEvent]:
    """Up to ``limit`` events, newest first, strictly older than the ``before`` key."""
    query = _audit_query(issuer_id, f)
    if before is not None:
        when, ident = before
        query = query.where(
            (AuditEvent.created_at < when)
            | ((AuditEvent.created_at == when) & (AuditEvent.id < ident))
        )
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
    return session.scalars(query).all()


def audit_count(session: Session, issuer_id: uuid.UUID, f: AuditFilter) -> int:
    """How many events match (shown above the table)."""
    inner = _audit_query(issuer_id, f).with_only_columns(AuditEvent.id).subquery()
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


def audit_choices(session: Session, issuer_id: uuid.UUID) -> tuple[list[str], list[str]]:
    """The distinct actions and subject types of the issuer's log (the filter's options)."""
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.issuer_id == issuer_id).distinct()
    ).all()
    types = session.scalars(
        select(AuditEvent.subject_type).where(AuditEvent.issuer_id == issuer_id).distinct()
    ).all()
    return sorted(actions), sorted(types)


def achievement_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names of achievement versions (the credentials list's column)."""
    from app.models import Achievement

    if not ids:
        return {}
    rows = session.execute(select(Achievement.id, Achievement.name).where(Achievement.id.in_(ids)))
    return {row.id: row.name for row in rows}
