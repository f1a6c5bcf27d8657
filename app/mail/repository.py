"""Queries of the e-mail channel: what a message is about, and the per-issuer counter."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.models import Achievement, Credential, Issuer, MailCounter


def facts(
    session: Session, issuer_id: uuid.UUID, credential_id: uuid.UUID
) -> tuple[Credential, Issuer, Achievement] | None:
    """The credential (of this issuer only), its issuer and its achievement version."""
    row = session.execute(
        select(Credential, Issuer, Achievement)
        .join(Issuer, Issuer.id == Credential.issuer_id)
        .join(Achievement, Achievement.id == Credential.achievement_id)
        .where(Credential.id == credential_id, Credential.issuer_id == issuer_id)
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def lock_counter(session: Session, issuer_id: uuid.UUID, day: str) -> MailCounter:
    """The issuer's counter row, created when missing, locked until the transaction ends
    (two dispatchers fanning out the same issuer's events take turns on it)."""
    session.flush()  # this transaction's earlier changes to the row, before it is re-read
    postgresql = session.get_bind().dialect.name == "postgresql"
    insert = postgresql_insert if postgresql else sqlite_insert
    session.execute(
        insert(MailCounter)
        .values(issuer_id=issuer_id, day=day, count=0, pace_at=None)
        .on_conflict_do_nothing(index_elements=["issuer_id"])
    )
    return session.scalars(
        select(MailCounter)
        .where(MailCounter.issuer_id == issuer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
