"""Rows of push requests (:class:`app.models.ObPushRequest`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import ObPushRequest


def of_issuer(
    session: Session, issuer_id: uuid.UUID, request_id: uuid.UUID
) -> ObPushRequest | None:
    return session.scalars(
        select(ObPushRequest).where(
            ObPushRequest.id == request_id, ObPushRequest.issuer_id == issuer_id
        )
    ).first()


def of_credential(
    session: Session, issuer_id: uuid.UUID, credential_id: uuid.UUID
) -> list[ObPushRequest]:
    """The credential's requests, newest first."""
    return list(
        session.scalars(
            select(ObPushRequest)
            .where(
                ObPushRequest.issuer_id == issuer_id,
                ObPushRequest.credential_id == credential_id,
            )
            .order_by(ObPushRequest.created_at.desc(), ObPushRequest.id)
        )
    )


def to_addresses(session: Session, emails: list[str]) -> list[ObPushRequest]:
    """Requests addressed to any of ``emails`` (lower-case), newest first."""
    if not emails:
        return []
    return list(
        session.scalars(
            select(ObPushRequest)
            .where(ObPushRequest.recipient_email.in_(emails))
            .order_by(ObPushRequest.created_at.desc(), ObPushRequest.id)
            .limit(200)
        )
    )


def count_since(session: Session, credential_id: uuid.UUID, since: datetime) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ObPushRequest)
            .where(ObPushRequest.credential_id == credential_id, ObPushRequest.created_at >= since)
        )
        or 0
    )


def same_host(session: Session, credential_id: uuid.UUID, api_root: str) -> list[ObPushRequest]:
    """Earlier requests for this credential and host, newest first."""
    return list(
        session.scalars(
            select(ObPushRequest)
            .where(
                ObPushRequest.credential_id == credential_id,
                ObPushRequest.api_root == api_root,
            )
            .order_by(ObPushRequest.created_at.desc(), ObPushRequest.id)
        )
    )
