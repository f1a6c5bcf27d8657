"""Queries on signing keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import SigningKey


def list_for_issuer(session: Session, issuer_id: uuid.UUID) -> Sequence[SigningKey]:
    """Every key of an issuer, oldest first (retired ones included)."""
    stmt = (
        select(SigningKey)
        .where(SigningKey.issuer_id == issuer_id)
        .order_by(SigningKey.created_at, SigningKey.id)
    )
    return session.scalars(stmt).all()


def active_key(session: Session, issuer_id: uuid.UUID, purpose: str) -> SigningKey | None:
    """The newest active key of an issuer for ``purpose``."""
    stmt = (
        select(SigningKey)
        .where(
            SigningKey.issuer_id == issuer_id,
            SigningKey.purpose == purpose,
            SigningKey.state == "active",
        )
        .order_by(SigningKey.created_at.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def list_all(session: Session) -> Sequence[SigningKey]:
    """Every key of every issuer (for the service-wide JWK Set)."""
    return session.scalars(select(SigningKey).order_by(SigningKey.created_at)).all()
