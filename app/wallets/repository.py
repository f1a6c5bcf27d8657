"""Rows of the wallet protocols (:mod:`app.models.wallet`): inserts, look-ups by secret hash,
and the conditional updates that make each secret single use.

Single use holds under concurrency because every "spend" is one ``UPDATE … WHERE used_at IS
NULL AND expires_at > now`` whose row count says who won: on PostgreSQL a second transaction
waits on the row lock and then finds the condition false; SQLite serialises writers.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from app.models import Offer, WalletAccessToken, WalletExchange, WalletGrant, WalletNonce

PURGE_AFTER = timedelta(days=1)
"""Expired rows are kept this long (for a look at what a wallet tried), then deleted."""


def _changed(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def add(session: Session, row: object) -> None:
    """Insert a row (flushed, so a unique clash surfaces here)."""
    session.add(row)
    session.flush()


def grant_by_code(session: Session, code_hash: str) -> WalletGrant | None:
    return session.scalar(select(WalletGrant).where(WalletGrant.code_hash == code_hash))


def lock_offer(session: Session, offer_id: uuid.UUID) -> Offer | None:
    """The offer, re-read and row-locked (PostgreSQL ``FOR UPDATE``; SQLite's writers are
    serialised already), so that two wallets arriving at once mint one grant or exchange and
    a revocation racing them is seen."""
    return session.scalar(
        select(Offer)
        .where(Offer.id == offer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def live_grant(session: Session, offer_id: uuid.UUID, now: datetime) -> WalletGrant | None:
    """The offer's unspent, unexpired grant that lives longest, if any."""
    return session.scalar(
        select(WalletGrant)
        .where(
            WalletGrant.offer_id == offer_id,
            WalletGrant.used_at.is_(None),
            WalletGrant.expires_at > now,
        )
        .order_by(WalletGrant.expires_at.desc())
        .limit(1)
    )


def live_exchanges(session: Session, offer_id: uuid.UUID, now: datetime) -> list[WalletExchange]:
    """The offer's open exchanges (unspent, unexpired), the longest-lived first."""
    return list(
        session.scalars(
            select(WalletExchange)
            .where(
                WalletExchange.offer_id == offer_id,
                WalletExchange.used_at.is_(None),
                WalletExchange.expires_at > now,
            )
            .order_by(WalletExchange.expires_at.desc())
        )
    )


def minted_since(
    session: Session,
    model: type[WalletGrant] | type[WalletExchange],
    offer_id: uuid.UUID,
    since: datetime,
) -> tuple[int, datetime | None]:
    """How many grants (or exchanges) of the offer were made since ``since``, and the first."""
    count, first = session.execute(
        select(func.count(model.id), func.min(model.created_at)).where(
            model.offer_id == offer_id, model.created_at > since
        )
    ).one()
    return int(count), first


def spend_grant(session: Session, grant_id: uuid.UUID, now: datetime) -> bool:
    """Mark a pre-authorized code used; False when another request used it first or it expired."""
    result = session.execute(
        update(WalletGrant)
        .where(
            WalletGrant.id == grant_id,
            WalletGrant.used_at.is_(None),
            WalletGrant.expires_at > now,
        )
        .values(used_at=now)
    )
    return _changed(result) == 1


def count_tx_code_failure(session: Session, grant_id: uuid.UUID, limit: int, now: datetime) -> None:
    """One more wrong transaction code; the ``limit``-th burns the code."""
    session.execute(
        update(WalletGrant)
        .where(WalletGrant.id == grant_id)
        .values(tx_code_failures=WalletGrant.tx_code_failures + 1)
    )
    session.execute(
        update(WalletGrant)
        .where(
            WalletGrant.id == grant_id,
            WalletGrant.used_at.is_(None),
            WalletGrant.tx_code_failures >= limit,
        )
        .values(used_at=now)
    )


def token_by_hash(session: Session, token_hash: str) -> WalletAccessToken | None:
    return session.scalar(
        select(WalletAccessToken).where(WalletAccessToken.token_hash == token_hash)
    )


def bind_token(session: Session, token_id: uuid.UUID, holder_did: str, now: datetime) -> bool:
    """Claim an access token's one binding for ``holder_did``; False when already bound."""
    result = session.execute(
        update(WalletAccessToken)
        .where(WalletAccessToken.id == token_id, WalletAccessToken.bound_at.is_(None))
        .values(bound_at=now, holder_did=holder_did)
    )
    return _changed(result) == 1


def set_token_credential(session: Session, token_id: uuid.UUID, credential_id: uuid.UUID) -> None:
    session.execute(
        update(WalletAccessToken)
        .where(WalletAccessToken.id == token_id)
        .values(credential_id=credential_id)
    )


def spend_nonce(session: Session, nonce: str, now: datetime) -> bool:
    """Spend a live ``c_nonce``; False for an unknown, expired or spent one."""
    result = session.execute(
        update(WalletNonce)
        .where(
            WalletNonce.nonce == nonce,
            WalletNonce.used_at.is_(None),
            WalletNonce.expires_at > now,
        )
        .values(used_at=now)
    )
    return _changed(result) == 1


def spend_exchange(
    session: Session, exchange_id: uuid.UUID, holder_did: str, now: datetime
) -> bool:
    """Complete an exchange for ``holder_did``; False when it was completed first or expired."""
    result = session.execute(
        update(WalletExchange)
        .where(
            WalletExchange.id == exchange_id,
            WalletExchange.used_at.is_(None),
            WalletExchange.expires_at > now,
        )
        .values(used_at=now, holder_did=holder_did)
    )
    return _changed(result) == 1


def set_exchange_credential(
    session: Session, exchange_id: uuid.UUID, credential_id: uuid.UUID
) -> None:
    session.execute(
        update(WalletExchange)
        .where(WalletExchange.id == exchange_id)
        .values(credential_id=credential_id)
    )


def purge_expired_nonces(session: Session, now: datetime) -> None:
    """Drop nonces past their expiry (the endpoint is anonymous: the table must not grow)."""
    session.execute(delete(WalletNonce).where(WalletNonce.expires_at < now))


def purge_expired(session: Session, now: datetime) -> None:
    """Drop codes, tokens and exchanges expired more than :data:`PURGE_AFTER` ago."""
    cutoff = now - PURGE_AFTER
    session.execute(delete(WalletAccessToken).where(WalletAccessToken.expires_at < cutoff))
    stale_grants = select(WalletGrant.id).where(WalletGrant.expires_at < cutoff)
    session.execute(delete(WalletAccessToken).where(WalletAccessToken.grant_id.in_(stale_grants)))
    session.execute(delete(WalletGrant).where(WalletGrant.expires_at < cutoff))
    session.execute(delete(WalletExchange).where(WalletExchange.expires_at < cutoff))
