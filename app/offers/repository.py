"""Queries of offers and of the copies bound to holders (issuer-scoped where a caller asks)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Credential, Offer


def by_token_hash(session: Session, token_hash: str) -> Offer | None:
    """The offer whose token hashes to ``token_hash`` (live or not)."""
    return session.scalars(select(Offer).where(Offer.token_hash == token_hash)).first()


def get(session: Session, offer_id: uuid.UUID) -> Offer | None:
    """An offer by id (no scope: for the wallet protocols, which hold it already)."""
    return session.get(Offer, offer_id)


def get_for_credential(
    session: Session, issuer_id: uuid.UUID, credential_id: uuid.UUID, offer_id: uuid.UUID
) -> Offer | None:
    """An offer of this issuer's credential (None for another issuer's or credential's)."""
    return session.scalars(
        select(Offer).where(
            Offer.id == offer_id,
            Offer.issuer_id == issuer_id,
            Offer.credential_id == credential_id,
        )
    ).first()


def for_credential(
    session: Session, issuer_id: uuid.UUID, credential_id: uuid.UUID
) -> Sequence[Offer]:
    """Every offer of one of the issuer's credentials, newest first."""
    return session.scalars(
        select(Offer)
        .where(Offer.issuer_id == issuer_id, Offer.credential_id == credential_id)
        .order_by(Offer.created_at.desc(), Offer.id.desc())
    ).all()


def lock_bound_copies(session: Session, original_id: uuid.UUID) -> Sequence[Credential]:
    """:func:`bound_copies`, row-locked in id order (a status change follows its original)."""
    return session.scalars(
        select(Credential)
        .where(Credential.bound_from_id == original_id)
        .order_by(Credential.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


def holders_of(session: Session, original_id: uuid.UUID) -> set[str]:
    """The DIDs a credential's unrevoked copies are bound to."""
    return {
        did
        for did in session.scalars(
            select(Credential.recipient_did).where(
                Credential.bound_from_id == original_id, Credential.revoked_at.is_(None)
            )
        )
        if did
    }


def copy_for_holder(
    session: Session, original_id: uuid.UUID, holder_did: str
) -> Sequence[Credential]:
    """The copies of a credential already bound to ``holder_did``."""
    return session.scalars(
        select(Credential)
        .where(Credential.bound_from_id == original_id, Credential.recipient_did == holder_did)
        .order_by(Credential.created_at.desc())
    ).all()


def lock_credential(
    session: Session, issuer_id: uuid.UUID, credential_id: uuid.UUID
) -> Credential | None:
    """One of the issuer's credentials, row-locked until the commit (fresh from the database)."""
    return session.scalars(
        select(Credential)
        .where(Credential.id == credential_id, Credential.issuer_id == issuer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
