"""Database access of the Open Badges API: clients, codes, tokens (looked up by SHA-256)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import LearnerEmail, OAuthClient, OAuthCode, OAuthToken, utcnow


def digest(secret: str) -> str:
    """The stored form of a secret: SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def client_by_client_id(session: Session, client_id: str) -> OAuthClient | None:
    if not client_id or len(client_id) > 64:
        return None
    return session.scalars(select(OAuthClient).where(OAuthClient.client_id == client_id)).first()


def claim_code(session: Session, code: str, client_pk: uuid.UUID) -> OAuthCode | None:
    """Mark the client's live, unused code as used and return it; None when it is unknown,
    another client's, expired or already used (the update is the single-use guard: of two
    concurrent exchanges only one changes the row)."""
    now = utcnow()
    claimed = session.execute(
        update(OAuthCode)
        .where(
            OAuthCode.code_hash == digest(code),
            OAuthCode.client_pk == client_pk,
            OAuthCode.used_at.is_(None),
            OAuthCode.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.scalars(select(OAuthCode).where(OAuthCode.code_hash == digest(code))).first()


def used_code(session: Session, code: str, client_pk: uuid.UUID) -> OAuthCode | None:
    """The client's code when it was already used (a replay)."""
    return session.scalars(
        select(OAuthCode).where(
            OAuthCode.code_hash == digest(code),
            OAuthCode.client_pk == client_pk,
            OAuthCode.used_at.is_not(None),
        )
    ).first()


def revoke_tokens_of_code(session: Session, code_pk: uuid.UUID) -> None:
    """Revoke every token of the grant the code started: the pair it gave and each pair a
    refresh made since (they carry the same ``code_pk``)."""
    session.execute(
        update(OAuthToken)
        .where(OAuthToken.code_pk == code_pk, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def token_by_access(session: Session, token: str) -> OAuthToken | None:
    if not token or len(token) > 200:
        return None
    return session.scalars(
        select(OAuthToken).where(OAuthToken.access_token_hash == digest(token))
    ).first()


def token_by_refresh(session: Session, token: str) -> OAuthToken | None:
    if not token or len(token) > 200:
        return None
    return session.scalars(
        select(OAuthToken).where(OAuthToken.refresh_token_hash == digest(token))
    ).first()


def revoke_token(session: Session, token_pk: uuid.UUID) -> bool:
    """Revoke the pair; False when it already was (a concurrent refresh or revocation)."""
    result = session.execute(
        update(OAuthToken)
        .where(OAuthToken.id == token_pk, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def revoke_client_tokens(session: Session, account_id: uuid.UUID, client_pk: uuid.UUID) -> int:
    """Revoke every live token of the client for the account (the learner's "revoke access")
    and void its codes not yet exchanged (else the app could still turn one into a token)."""
    now = utcnow()
    session.execute(
        update(OAuthCode)
        .where(
            OAuthCode.account_id == account_id,
            OAuthCode.client_pk == client_pk,
            OAuthCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        update(OAuthToken)
        .where(
            OAuthToken.account_id == account_id,
            OAuthToken.client_pk == client_pk,
            OAuthToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def authorized_clients(
    session: Session, account_id: uuid.UUID, now: datetime
) -> list[tuple[OAuthClient, datetime]]:
    """Clients holding a live token of the account (access or refresh not yet expired), with
    the time of their newest grant."""
    rows = session.execute(
        select(OAuthClient, OAuthToken.created_at)
        .join(OAuthToken, OAuthToken.client_pk == OAuthClient.id)
        .where(
            OAuthToken.account_id == account_id,
            OAuthToken.revoked_at.is_(None),
            (OAuthToken.access_expires_at > now) | (OAuthToken.refresh_expires_at > now),
        )
        .order_by(OAuthToken.created_at.desc())
    ).all()
    seen: dict[uuid.UUID, tuple[OAuthClient, datetime]] = {}
    for client, created in rows:
        seen.setdefault(client.id, (client, created))
    return list(seen.values())


def verified_emails(session: Session, account_id: uuid.UUID) -> list[str]:
    """The account's verified addresses, the first verified first (its primary)."""
    return list(
        session.scalars(
            select(LearnerEmail.email)
            .where(LearnerEmail.account_id == account_id, LearnerEmail.verified_at.is_not(None))
            .order_by(LearnerEmail.verified_at, LearnerEmail.email)
        )
    )
