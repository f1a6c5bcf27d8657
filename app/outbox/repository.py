"""Queries on outbox events and deliveries (the relay's durable state)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from app.core.db import READ_ONLY
from app.models import (
    Delivery,
    LearnerSession,
    OAuthCode,
    OAuthToken,
    ObAuthorization,
    OutboxEvent,
    SignInToken,
)
from app.models.base import utcnow


def _free(now: datetime) -> Any:
    """Not leased, or its lease ran out (another relay's live lease is not work for us)."""
    return or_(Delivery.lease_until.is_(None), Delivery.lease_until < now)


def undispatched_events(session: Session, limit: int) -> Sequence[OutboxEvent]:
    """The oldest events not fanned out yet, locked for this transaction (others skip them)."""
    stmt = (
        select(OutboxEvent)
        .where(OutboxEvent.dispatched_at.is_(None))
        .order_by(OutboxEvent.created_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).all()


def undispatched_event(session: Session, event_id: uuid.UUID) -> OutboxEvent | None:
    """One event if it still waits, locked for this transaction (None when another runner
    holds or dispatched it)."""
    stmt = select(OutboxEvent).where(
        OutboxEvent.id == event_id, OutboxEvent.dispatched_at.is_(None)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).first()


def purge_finished(session: Session, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` finished deliveries made before ``before``, then the dispatched
    events older than that with no delivery left; how many deliveries."""
    old = (
        select(Delivery.id)
        .where(Delivery.state != "pending", Delivery.created_at < before)
        .limit(limit)
    )
    ids = list(session.scalars(old))
    if ids:
        session.execute(
            delete(Delivery)
            .where(Delivery.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
    session.execute(
        delete(OutboxEvent)
        .where(
            OutboxEvent.dispatched_at.is_not(None),
            OutboxEvent.created_at < before,
            ~exists().where(Delivery.event_id == OutboxEvent.id),
        )
        .execution_options(synchronize_session=False)
    )
    return len(ids)


def mark_dispatched(session: Session, ids: Sequence[uuid.UUID], now: datetime) -> None:
    """The events' deliveries are made (one UPDATE for the whole pass)."""
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(list(ids)))
        .values(dispatched_at=now)
        .execution_options(synchronize_session=False)
    )


def claim_due(
    session: Session, owner: str, now: datetime, limit: int, lease_s: float
) -> list[uuid.UUID]:
    """Lease up to ``limit`` pending deliveries that are due and nobody holds; commits."""
    candidates = (
        select(Delivery.id)
        .where(
            Delivery.state == "pending",
            Delivery.next_attempt_at <= now,
            _free(now),
        )
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(session.scalars(candidates))
    if ids:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_s))
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return ids


def renew_lease(
    session: Session, delivery_id: uuid.UUID, owner: str, now: datetime, lease_s: float
) -> bool:
    """Extend ``owner``'s lease on a pending delivery; False when it is not held any more."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.state == "pending",
            Delivery.lease_owner == owner,
            Delivery.lease_until >= now,
        )
        .values(lease_until=now + timedelta(seconds=lease_s))
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def leased(session: Session, ids: Sequence[uuid.UUID], owner: str) -> Sequence[Delivery]:
    """The deliveries ``owner`` still holds, pending."""
    return session.scalars(
        select(Delivery).where(
            Delivery.id.in_(list(ids)), Delivery.state == "pending", Delivery.lease_owner == owner
        )
    ).all()


def record_attempt(
    session: Session, delivery_id: uuid.UUID, owner: str, values: dict[str, Any]
) -> bool:
    """Write an attempt's outcome if ``owner`` still holds the pending delivery."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.state == "pending",
            Delivery.lease_owner == owner,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def has_work(session: Session, now: datetime) -> bool:
    """Whether an event waits or a delivery is due, read without a write lock (on SQLite a
    relay that finds nothing must not queue writers behind it)."""
    session.connection(execution_options=READ_ONLY)
    waiting = select(OutboxEvent.id).where(OutboxEvent.dispatched_at.is_(None)).limit(1)
    due = (
        select(Delivery.id)
        .where(Delivery.state == "pending", Delivery.next_attempt_at <= now, _free(now))
        .limit(1)
    )
    return session.scalar(waiting) is not None or session.scalar(due) is not None


def next_due(session: Session) -> datetime | None:
    """When the next pending delivery is due (None: nothing pending)."""
    session.connection(execution_options=READ_ONLY)
    return session.scalar(
        select(Delivery.next_attempt_at)
        .where(Delivery.state == "pending", _free(utcnow()))
        .order_by(Delivery.next_attempt_at)
        .limit(1)
    )


def for_target(
    session: Session, issuer_id: uuid.UUID, target_id: uuid.UUID, limit: int
) -> Sequence[Delivery]:
    return session.scalars(
        select(Delivery)
        .where(Delivery.issuer_id == issuer_id, Delivery.target_id == target_id)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(limit)
    ).all()


def get_for_issuer(
    session: Session, issuer_id: uuid.UUID, delivery_id: uuid.UUID
) -> Delivery | None:
    return session.scalars(
        select(Delivery).where(Delivery.id == delivery_id, Delivery.issuer_id == issuer_id)
    ).first()


def _spent(before: datetime) -> list[tuple[Any, Any]]:
    """``(model, condition)`` of the short-lived access rows that are spent since ``before``:
    OAuth tokens before codes (a code stays while tokens of its family do, for replay)."""
    token_end = func.coalesce(OAuthToken.refresh_expires_at, OAuthToken.access_expires_at)
    return [
        (SignInToken, or_(SignInToken.expires_at < before, SignInToken.used_at < before)),
        (
            LearnerSession,
            or_(LearnerSession.expires_at < before, LearnerSession.revoked_at < before),
        ),
        (OAuthToken, token_end < before),
        (
            OAuthCode,
            (OAuthCode.expires_at < before) & ~exists().where(OAuthToken.code_pk == OAuthCode.id),
        ),
        (ObAuthorization, ObAuthorization.expires_at < before),
    ]


SPENT_TABLES = len(_spent(datetime.min))
"""How many tables :func:`purge_spent` goes through (``step`` runs from 0 to this)."""


def purge_spent(session: Session, step: int, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` rows of the ``step``-th table of :func:`_spent` that expired,
    were used or were revoked before ``before``; how many."""
    model, condition = _spent(before)[step]
    ids = list(session.scalars(select(model.id).where(condition).limit(limit)))
    if ids:
        session.execute(
            delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False)
        )
    return len(ids)
