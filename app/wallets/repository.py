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

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from app.models import WalletAccessToken, WalletExchange, WalletGrant, WalletNonce

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


def grant_by_reference(session: Session, ref_hash: str) -> WalletGrant | None:
    return session.scalar(select(WalletGrant).where(WalletGrant.offer_ref_hash == ref_hash))


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


def exchange_by_hash(session: Session, token_hash: str) -> WalletExchange | None:
    return session.scalar(select(WalletExchange).where(WalletExchange.token_hash == token_hash))


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
