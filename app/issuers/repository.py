"""Queries on issuers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Issuer


def get(session: Session, issuer_id: uuid.UUID, *, for_update: bool = False) -> Issuer | None:
    """An issuer by id; ``for_update`` takes its row lock (PostgreSQL) and re-reads it, so
    concurrent profile edits apply one after the other instead of overwriting each other.
    ``FOR NO KEY UPDATE``: the foreign-key checks of concurrent issuances do not wait for it."""
    if for_update:
        return session.get(
            Issuer, issuer_id, with_for_update={"key_share": True}, populate_existing=True
        )
    return session.get(Issuer, issuer_id)


def suspension_enabled(session: Session, issuer_id: uuid.UUID) -> bool:
    """The issuer's ``suspension_enabled`` setting (one column, not the whole row)."""
    stmt = select(Issuer.suspension_enabled).where(Issuer.id == issuer_id)
    return bool(session.scalar(stmt))


def list_page(session: Session, *, limit: int, offset: int) -> Sequence[Issuer]:
    """Issuers, oldest first."""
    stmt = select(Issuer).order_by(Issuer.created_at, Issuer.id).limit(limit).offset(offset)
    return session.scalars(stmt).all()


def find_by_name(session: Session, language: str, name: str) -> Issuer | None:
    """An issuer whose name in ``language`` equals ``name`` (used by idempotent demo data)."""
    for issuer in session.scalars(select(Issuer)):
        if issuer.translations.get(language, {}).get("name") == name:
            return issuer
    return None
