"""An issuer's staff: list, change a role, remove. Owners only (checked by the router).

An issuer always keeps an owner: the last one can be neither demoted nor removed (the owner
rows are locked while counting, so two concurrent changes cannot both pass). Each change is an
audit row of the issuer with the acting person as actor.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.console import repository
from app.console.access import IssuerConsole
from app.core.errors import AppError, NotFound
from app.models import StaffMembership, StaffUser
from app.models.staff import STAFF_ROLES


class LastOwner(AppError):
    """The change would leave the issuer without an owner."""

    status, title, code = 409, "Conflict", "console_last_owner"


class MemberNotFound(NotFound):
    """No such member of this issuer."""


def listing(session: Session, issuer_id: uuid.UUID) -> list[tuple[StaffMembership, StaffUser]]:
    """The issuer's members with their accounts."""
    return repository.members(session, issuer_id)


def _member(session: Session, console: IssuerConsole, membership_id: uuid.UUID) -> StaffMembership:
    row = repository.membership_by_id(session, console.issuer.id, membership_id, for_update=True)
    if row is None:
        raise MemberNotFound("No such member.")
    return row


def _keeps_an_owner(session: Session, console: IssuerConsole, row: StaffMembership) -> None:
    if row.role == "owner" and repository.owner_count(session, console.issuer.id) <= 1:
        raise LastOwner("An issuer needs at least one owner.")


def change_role(
    session: Session, console: IssuerConsole, membership_id: uuid.UUID, role: str
) -> StaffMembership:
    """Give a member another role (the caller commits)."""
    if role not in STAFF_ROLES:
        raise AppError("Choose a role.", field="role")
    row = _member(session, console, membership_id)
    if row.role == role:
        return row
    if role != "owner":
        _keeps_an_owner(session, console, row)
    before, row.role = row.role, role
    audit.record(
        session,
        actor=console.principal.actor,
        action="staff.role_changed",
        subject_type="staff_user",
        subject_id=row.user_id,
        issuer_id=console.issuer.id,
        details={"from": before, "to": role},
    )
    return row


def remove(session: Session, console: IssuerConsole, membership_id: uuid.UUID) -> None:
    """Take a member's access to this issuer away (the caller commits); the account stays
    for the person's other issuers."""
    row = _member(session, console, membership_id)
    _keeps_an_owner(session, console, row)
    audit.record(
        session,
        actor=console.principal.actor,
        action="staff.removed",
        subject_type="staff_user",
        subject_id=row.user_id,
        issuer_id=console.issuer.id,
        details={"role": row.role},
    )
    session.delete(row)
