"""Queries on programs, their learners and the credentials that count towards them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.models import Achievement, Credential, Program, ProgramLearner, ProgramModule


def add(session: Session, *rows: object) -> None:
    """Stage new rows and flush (ids are client-generated; the flush surfaces FK errors)."""
    session.add_all(rows)
    session.flush()


def get(session: Session, program_id: uuid.UUID) -> Program | None:
    """A program by id."""
    return session.get(Program, program_id)


def list_for_issuer(session: Session, issuer_id: uuid.UUID) -> Sequence[Program]:
    """An issuer's programs, oldest first."""
    stmt = select(Program).where(Program.issuer_id == issuer_id).order_by(Program.created_at)
    return session.scalars(stmt).all()


def modules(session: Session, program_id: uuid.UUID) -> list[uuid.UUID]:
    """The program's module lineage ids in order."""
    stmt = (
        select(ProgramModule.achievement_lineage_id)
        .where(ProgramModule.program_id == program_id)
        .order_by(ProgramModule.position)
    )
    return list(session.scalars(stmt))


_MODULE_PROGRAMS = (
    select(ProgramModule.program_id)
    .where(ProgramModule.achievement_lineage_id.in_(bindparam("lineages", expanding=True)))
    .distinct()
)


def programs_with_modules(session: Session, lineages: Iterable[uuid.UUID]) -> Sequence[Program]:
    """Programs that have any of these lineages as a module.

    Called on every issuance, where the answer is nearly always "none": a prebuilt Core query
    on the module table answers that, and only actual programs are loaded through the ORM.
    Not cached, because a program created in another worker must count at once.
    """
    ids = list(session.connection().scalars(_MODULE_PROGRAMS, {"lineages": list(lineages)}))
    if not ids:
        return []
    return session.scalars(select(Program).where(Program.id.in_(ids))).all()


def current_achievement(session: Session, lineage_id: uuid.UUID) -> Achievement | None:
    """The current version of a lineage."""
    stmt = select(Achievement).where(
        Achievement.lineage_id == lineage_id, Achievement.is_current.is_(True)
    )
    return session.scalars(stmt).first()


def current_achievements(
    session: Session, lineages: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Achievement]:
    """Current versions of several lineages in one query."""
    stmt = select(Achievement).where(
        Achievement.lineage_id.in_(list(lineages)), Achievement.is_current.is_(True)
    )
    return {row.lineage_id: row for row in session.scalars(stmt)}


def achievement(session: Session, version_id: uuid.UUID) -> Achievement | None:
    """One achievement version row."""
    return session.get(Achievement, version_id)


def lineage_of(session: Session, version_id: uuid.UUID) -> uuid.UUID | None:
    """The lineage of an achievement version row."""
    return session.scalar(select(Achievement.lineage_id).where(Achievement.id == version_id))


def learner_credentials(
    session: Session,
    learner: str,
    lineages: Iterable[uuid.UUID] | None = None,
    *,
    issuer_id: uuid.UUID | None = None,
) -> Sequence[tuple[Credential, uuid.UUID]]:
    """The learner's credentials (any state) with their achievement lineage, oldest first;
    only ``issuer_id``'s when given (what a learner link may reach)."""
    column = Credential.recipient_did if learner.startswith("did:") else Credential.recipient_email
    stmt = (
        select(Credential, Achievement.lineage_id)
        .join(Achievement, Achievement.id == Credential.achievement_id)
        .where(column == learner)
        .order_by(Credential.created_at, Credential.id)
    )
    if lineages is not None:
        stmt = stmt.where(Achievement.lineage_id.in_(list(lineages)))
    if issuer_id is not None:
        stmt = stmt.where(Credential.issuer_id == issuer_id)
    return [(row[0], row[1]) for row in session.execute(stmt)]


def learner_programs(
    session: Session, learner: str, *, issuer_id: uuid.UUID | None = None
) -> Sequence[Program]:
    """Programs in which the learner holds any module credential or a progress row; only
    ``issuer_id``'s programs when given."""
    column = Credential.recipient_did if learner.startswith("did:") else Credential.recipient_email
    lineages = (
        select(Achievement.lineage_id)
        .join(Credential, Credential.achievement_id == Achievement.id)
        .where(column == learner)
    )
    module_programs = select(ProgramModule.program_id).where(
        ProgramModule.achievement_lineage_id.in_(lineages)
    )
    rows = select(ProgramLearner.program_id).where(ProgramLearner.learner == learner)
    stmt = select(Program).where(or_(Program.id.in_(module_programs), Program.id.in_(rows)))
    if issuer_id is not None:
        stmt = stmt.where(Program.issuer_id == issuer_id)
    return session.scalars(stmt.order_by(Program.created_at)).all()


def find_learner(session: Session, program_id: uuid.UUID, learner: str) -> ProgramLearner | None:
    """The learner's progress row, if it exists (no lock)."""
    stmt = select(ProgramLearner).where(
        ProgramLearner.program_id == program_id, ProgramLearner.learner == learner
    )
    return session.scalars(stmt).first()


def lock_learner(session: Session, program_id: uuid.UUID, learner: str) -> ProgramLearner:
    """Create the (program, learner) row if missing and return it locked for this transaction.

    ``INSERT … ON CONFLICT DO NOTHING`` makes a concurrent creator wait for the first one's
    commit instead of failing, and ``SELECT … FOR UPDATE`` then serialises every evaluator of
    this pair: after the lock, READ COMMITTED reads see the other transaction's new credential,
    so neither an award is missed nor given twice. SQLite has no row locks, but its writers are
    already serialised by ``BEGIN IMMEDIATE`` (see ``app.core.db``).
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(ProgramLearner)
        .values(id=uuid.uuid4(), program_id=program_id, learner=learner, needs_review=False)
        .on_conflict_do_nothing(index_elements=["program_id", "learner"])
    )
    session.execute(stmt)
    locked = (
        select(ProgramLearner)
        .where(ProgramLearner.program_id == program_id, ProgramLearner.learner == learner)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(locked).one()
