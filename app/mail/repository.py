"""Queries of the e-mail channel: what a message is about, the per-issuer counter, and the
bounce recorded on a delivery."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.models import Achievement, Credential, Delivery, Issuer, MailCounter


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


def email_delivery(session: Session, delivery_id: uuid.UUID) -> Delivery | None:
    """An e-mail delivery by id (of any issuer: a bounce token names it)."""
    return session.scalars(
        select(Delivery).where(Delivery.id == delivery_id, Delivery.channel == "email")
    ).one_or_none()


def record_bounce(session: Session, delivery_id: uuid.UUID, status: int | None, error: str) -> bool:
    """Mark a sent e-mail failed for good with a bounce's reply code and text, as the relay
    records an SMTP refusal (``state``, ``last_status``, ``last_error``; ``sent_at`` stays:
    it was accepted then). Also over an earlier bounce of it; never over a delivery that was
    not sent (pending, cancelled, refused). True when written."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.channel == "email",
            or_(
                Delivery.state == "sent",
                and_(Delivery.state == "failed", Delivery.sent_at.is_not(None)),
            ),
        )
        .values(state="failed", last_status=status, last_error=error)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
