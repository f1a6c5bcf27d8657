"""Issuer API keys: creation (token shown once), revocation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api_keys.schemas import ApiKeyCreate, ApiKeyCreated
from app.audit import service as audit
from app.core.errors import NotFound
from app.core.security import hash_token, new_api_key
from app.issuers import service as issuers
from app.models import ApiKey


def create_api_key(
    session: Session, issuer_id: uuid.UUID, data: ApiKeyCreate, *, actor: str
) -> ApiKeyCreated:
    """Create a key for the issuer; the token exists only in this return value."""
    issuers.get_issuer(session, issuer_id)
    token, prefix = new_api_key()
    key = ApiKey(
        id=uuid.uuid4(),
        issuer_id=issuer_id,
        name=data.name,
        prefix=prefix,
        token_hash=hash_token(token),
    )
    session.add(key)
    audit.record(
        session,
        actor=actor,
        action="api_key.create",
        subject_type="api_key",
        subject_id=key.id,
        issuer_id=issuer_id,
        details={"prefix": prefix},
    )
    session.commit()
    return ApiKeyCreated(
        id=key.id,
        issuer_id=issuer_id,
        name=key.name,
        prefix=prefix,
        created_at=key.created_at,
        revoked_at=None,
        token=token,
    )


def revoke_api_key(
    session: Session, issuer_id: uuid.UUID, key_id: uuid.UUID, *, actor: str
) -> ApiKey:
    """Revoke a key of the issuer (idempotent: revoking twice keeps the first time)."""
    key = session.scalars(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.issuer_id == issuer_id)
    ).first()
    if key is None:
        raise NotFound("No such API key for this issuer.")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        audit.record(
            session,
            actor=actor,
            action="api_key.revoke",
            subject_type="api_key",
            subject_id=key.id,
            issuer_id=issuer_id,
            details={"prefix": key.prefix},
        )
    session.commit()  # every worker reads the key's row per request: refused from now on
    return key


def list_api_keys(session: Session, issuer_id: uuid.UUID) -> list[ApiKey]:
    """The issuer's keys (prefixes only)."""
    issuers.get_issuer(session, issuer_id)
    stmt = select(ApiKey).where(ApiKey.issuer_id == issuer_id).order_by(ApiKey.created_at)
    return list(session.scalars(stmt))
