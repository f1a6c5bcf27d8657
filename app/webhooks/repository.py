"""Queries on webhook endpoints, and the pending deliveries an endpoint change affects."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from app.models import Delivery, WebhookEndpoint

CHANNEL = "webhook"
"""The outbox channel of webhook calls."""


def for_issuer(session: Session, issuer_id: uuid.UUID) -> Sequence[WebhookEndpoint]:
    return session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.issuer_id == issuer_id)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    ).all()


def count_for_issuer(session: Session, issuer_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(WebhookEndpoint)
            .where(WebhookEndpoint.issuer_id == issuer_id)
        )
        or 0
    )


def get(session: Session, issuer_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
    """The issuer's endpoint (None for another issuer's: the caller answers 404)."""
    return session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.issuer_id == issuer_id
        )
    ).first()


def enabled_for_issuer(session: Session, issuer_id: uuid.UUID) -> Sequence[WebhookEndpoint]:
    """The issuer's enabled endpoints (few: at most ``MAX_ENDPOINTS``); the caller filters
    them by event type, which a JSON list makes awkward to do alike in SQLite and PostgreSQL."""
    return session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.issuer_id == issuer_id, WebhookEndpoint.enabled.is_(True)
        )
    ).all()


def pending_deliveries(session: Session, endpoint: WebhookEndpoint) -> Sequence[Delivery]:
    return session.scalars(
        select(Delivery).where(
            Delivery.issuer_id == endpoint.issuer_id,
            Delivery.target_id == endpoint.id,
            Delivery.channel == CHANNEL,
            Delivery.state == "pending",
        )
    ).all()


def cancel_pending(session: Session, endpoint: WebhookEndpoint) -> int:
    """Cancel the endpoint's deliveries not sent yet; how many. One being sent right now keeps
    its lease: the relay does not record its outcome over a cancelled row."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.issuer_id == endpoint.issuer_id,
            Delivery.target_id == endpoint.id,
            Delivery.channel == CHANNEL,
            Delivery.state == "pending",
        )
        .values(state="cancelled", lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def replace_payload(delivery: Delivery, payload: dict[str, Any]) -> None:
    """Give a delivery a new payload (a new dict, so the JSON column is seen as changed)."""
    delivery.payload = payload


def deliveries_page(
    session: Session,
    endpoint: WebhookEndpoint,
    limit: int,
    before: Delivery | None,
) -> Sequence[Delivery]:
    """The endpoint's deliveries, newest first, after the cursor ``before`` (the last one of
    the previous page). Keyed on ``(created_at, id)``: creation times are whole seconds, and
    a batch makes hundreds of deliveries in one second, so a time alone would skip some."""
    stmt = select(Delivery).where(
        Delivery.issuer_id == endpoint.issuer_id,
        Delivery.target_id == endpoint.id,
        Delivery.channel == CHANNEL,
    )
    if before is not None:
        stmt = stmt.where(
            or_(
                Delivery.created_at < before.created_at,
                and_(Delivery.created_at == before.created_at, Delivery.id < before.id),
            )
        )
    return session.scalars(
        stmt.order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit)
    ).all()
