"""The assessor workflow (the dual-mentor model): an owner assigns modules to an assessor; the
assessor sees the learners of those modules only and records results and evidence for them.

``StaffMembership.assigned_modules`` holds achievement lineage ids (what the assignment page
writes) or achievement version ids (either is read). A module counts with its language versions
(:func:`app.achievements.languages.language_lineages`): a mentor of "Data Analysis" assesses
its Chinese version too.

Recording a result *is* issuing the module's credential, through the API's pipeline
(:func:`app.credentials.issuing.issue_credential`) with the staff member's principal (audit
actor ``staff:<user id>``) and the assessor named in the credential as OB 3.0's
``credentialSubject.source``: the Profile that assessed the learner on the issuer's behalf
(``urn:uuid:<staff user id>`` and the person's display name; the e-mail address stays out of
a public document and is in the console's audit view next to the actor).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.achievements.languages import language_lineages
from app.audit import service as audit
from app.console import repository
from app.console.access import ConsoleRefused, IssuerConsole
from app.console.members import MemberNotFound
from app.core.context import AppContext
from app.core.errors import AppError
from app.credentials.schemas import SourceIn
from app.models import Achievement, StaffMembership, StaffUser
from app.programs import repository as programs_repository
from app.programs import service as programs

MAX_MODULES = 200


class NotAnAssessor(AppError):
    """Modules are assigned to assessors only."""

    status, title, code = 409, "Conflict", "console_not_assessor"


class UnknownModule(AppError):
    """An assignment names no current achievement of this issuer."""

    status, title, code = 422, "Unprocessable Content", "console_unknown_module"


def _uuids(values: Iterable[object]) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return found


def assigned_lineages(
    session: Session, issuer_id: uuid.UUID, assigned: Sequence[object] | None
) -> list[uuid.UUID]:
    """The lineages an assignment names (lineage ids as they are, version ids mapped to their
    lineage), of this issuer only, in the order given."""
    ids = _uuids(assigned or [])
    if not ids:
        return []
    rows = session.execute(
        select(Achievement.id, Achievement.lineage_id).where(
            Achievement.issuer_id == issuer_id,
            (Achievement.lineage_id.in_(ids)) | (Achievement.id.in_(ids)),
        )
    ).all()
    lineage_of = {row.lineage_id: row.lineage_id for row in rows}
    lineage_of.update({row.id: row.lineage_id for row in rows})
    seen: list[uuid.UUID] = []
    for value in ids:
        lineage = lineage_of.get(value)
        if lineage is not None and lineage not in seen:
            seen.append(lineage)
    return seen


def modules_of(
    session: Session, context: AppContext, console: IssuerConsole
) -> dict[uuid.UUID, Achievement]:
    """The current achievements the signed-in assessor may assess at this issuer, by lineage:
    the assigned ones and their language versions."""
    membership = repository.membership(session, console.user.id, console.issuer.id)
    lineages = assigned_lineages(
        session, console.issuer.id, membership.assigned_modules if membership else None
    )
    current = programs_repository.current_achievements(session, lineages)
    allowed: set[uuid.UUID] = set()
    for row in current.values():
        allowed |= language_lineages(context.settings.base_url, row)
    found = programs_repository.current_achievements(session, allowed)
    ordered = [lineage for lineage in lineages if lineage in found]
    ordered += sorted((k for k in found if k not in ordered), key=lambda k: found[k].name)
    return {k: found[k] for k in ordered if found[k].issuer_id == console.issuer.id}


def module_for(
    session: Session, context: AppContext, console: IssuerConsole, lineage: uuid.UUID
) -> Achievement:
    """The module the assessor may assess, or 403 (not assigned; another issuer's alike)."""
    found = modules_of(session, context, console).get(lineage)
    if found is None:
        raise ConsoleRefused("This module is not assigned to you.")
    return found


def source_of(user: StaffUser) -> SourceIn:
    """The assessor as the OB 3.0 ``source`` Profile of the credentials they record."""
    return SourceIn(id=f"urn:uuid:{user.id}", name=user.display_name)


def assessors(session: Session, issuer_id: uuid.UUID) -> list[tuple[StaffMembership, StaffUser]]:
    """The issuer's members with the ``assessor`` role."""
    return [(m, u) for m, u in repository.members(session, issuer_id) if m.role == "assessor"]


def assign(
    session: Session, console: IssuerConsole, membership_id: uuid.UUID, modules: Sequence[str]
) -> StaffMembership:
    """Set an assessor's modules (lineage ids of the issuer's current achievements); an audit
    row of the issuer with the owner as actor (the caller commits)."""
    row = repository.membership_by_id(session, console.issuer.id, membership_id, for_update=True)
    if row is None:
        raise MemberNotFound("No such member.")
    if row.role != "assessor":
        raise NotAnAssessor("Modules are assigned to assessors only.")
    wanted = list(dict.fromkeys(_uuids(modules)))[:MAX_MODULES]
    current = programs_repository.current_achievements(session, wanted)
    if any(
        lineage not in current or current[lineage].issuer_id != console.issuer.id
        for lineage in wanted
    ):
        raise UnknownModule("Choose modules among this issuer's achievements.", field="modules")
    before = list(row.assigned_modules or [])
    after = [str(lineage) for lineage in wanted]
    if before == after:
        return row
    row.assigned_modules = after or None
    audit.record(
        session,
        actor=console.principal.actor,
        action="staff.modules_assigned",
        subject_type="staff_user",
        subject_id=row.user_id,
        issuer_id=console.issuer.id,
        details={"from": before, "to": after},
    )
    return row


def programs_with(
    session: Session, context: AppContext, issuer_id: uuid.UUID, module: Achievement
) -> tuple[set[uuid.UUID], list[uuid.UUID], set[uuid.UUID]]:
    """For a module: its lineages (language versions), the issuer's programs that count it,
    and the lineages of every module of those programs (whose holders pursue it)."""
    own = language_lineages(context.settings.base_url, module)
    found = [
        p
        for p in programs_repository.programs_with_modules(session, own)
        if p.issuer_id == issuer_id
    ]
    pursued: set[uuid.UUID] = set(own)
    for program in found:
        pursued |= set(
            programs.module_aliases(session, context, programs.module_lineages(session, program))
        )
    return own, [p.id for p in found], pursued
