"""Rows of push requests (:class:`app.models.ObPushRequest`)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from app.models import Credential, ObPushRequest


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


def lock_credential(session: Session, credential_id: uuid.UUID) -> None:
    """Hold the credential's row until the transaction ends (PostgreSQL; SQLite serialises
    writers)."""
    session.execute(select(Credential.id).where(Credential.id == credential_id).with_for_update())


def claim(session: Session, request_id: uuid.UUID, now: datetime, lease: timedelta) -> bool:
    """``pending``/``failed`` and unexpired (or ``sending`` for longer than ``lease``) →
    ``sending``, in one statement; False when another state or another claim won."""
    result = session.execute(
        update(ObPushRequest)
        .where(
            ObPushRequest.id == request_id,
            ObPushRequest.expires_at > now,
            or_(
                ObPushRequest.state.in_(("pending", "failed")),
                and_(ObPushRequest.state == "sending", ObPushRequest.decided_at < now - lease),
            ),
        )
        .values(state="sending", decided_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def release(session: Session, request_id: uuid.UUID, previous: str) -> None:
    """Give a ``sending`` claim back (nothing was sent)."""
    session.execute(
        update(ObPushRequest)
        .where(ObPushRequest.id == request_id, ObPushRequest.state == "sending")
        .values(state=previous)
        .execution_options(synchronize_session=False)
    )
