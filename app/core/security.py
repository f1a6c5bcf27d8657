"""Bearer authentication: the admin token and issuer-scoped API keys.

API keys are looked up by the SHA-256 of the presented token (a unique index), so nothing
secret is compared byte by byte in Python; the admin token is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, bindparam, select

from app.core.context import ContextDep
from app.core.db import ONE_READ, get_session, reads_are_local, request_session
from app.core.errors import Unauthorized
from app.core.key_reader import AsyncKeyReader
from app.models import ApiKey

API_KEY_PREFIX = "obk_"


@dataclass(frozen=True, slots=True)
class IssuerPrincipal:
    """The caller of an issuer-scoped endpoint."""

    issuer_id: uuid.UUID
    api_key_id: uuid.UUID
    actor: str


@dataclass(frozen=True, slots=True)
class AdminPrincipal:
    """The holder of the admin token."""

    actor: str = "admin"


def hash_token(token: str) -> str:
    """SHA-256 hex of an API key: the only form stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_api_key() -> tuple[str, str]:
    """A fresh API key and its display prefix (``obk_ab12cd34``)."""
    prefix = API_KEY_PREFIX + secrets.token_hex(4)
    return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


def _bearer(request: Request) -> str:
    """The bearer token of the request, or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return token.strip()


async def require_admin(request: Request, context: ContextDep) -> AdminPrincipal:
    """Accept only the configured admin token (constant-time comparison)."""
    token = _bearer(request)
    expected = context.settings.admin_token_value()
    # compare_digest: the time taken must not reveal how many leading characters matched.
    if not hmac.compare_digest(token.encode("utf-8"), expected.encode("utf-8")):
        raise Unauthorized()
    return AdminPrincipal()


_KEY_BY_HASH = select(ApiKey.id, ApiKey.issuer_id, ApiKey.prefix).where(
    ApiKey.token_hash == bindparam("token_hash"), ApiKey.revoked_at.is_(None)
)
"""The unrevoked key with this hash: one unique-index probe, no ORM object."""


async def require_issuer(request: Request) -> IssuerPrincipal:
    """Accept an unrevoked API key and scope the request to its issuer.

    Every request reads the key's row: a revocation is effective in every worker process (and
    on every host) once the revoke call has committed, i.e. before it returns. Workers used to
    trust a key they had seen for 5 s, and 32 of 104 requests were still accepted in the 8 s
    after a revocation (issue 9). The read is one probe of the unique ``token_hash`` index
    returning three columns, without a transaction around it (``bench/bench_auth.py``
    measures it against the old cache hit): on PostgreSQL on the server's event loop over an
    async connection (:mod:`app.core.key_reader`; a thread-pool hand-off cost ~3× as much),
    elsewhere in the thread pool; on SQLite inline (an in-process call).
    """
    token = _bearer(request)
    if not token.startswith(API_KEY_PREFIX):
        raise Unauthorized()
    token_hash = hash_token(token)
    joined = get_session in request.app.dependency_overrides  # a test inside its transaction
    reader: AsyncKeyReader | None = getattr(request.app.state, "key_reader", None)
    if reader is not None and not joined and reader.serves_running_loop():
        return _principal(await reader.key_row(token_hash))
    if reads_are_local(request) and not joined:
        return _look_up(request, token_hash)
    return await run_in_threadpool(_look_up, request, token_hash)


def _look_up(request: Request, token_hash: str) -> IssuerPrincipal:
    """The principal of an unrevoked key with this hash, or 401 (a database read)."""
    params = {"token_hash": token_hash}
    if get_session in request.app.dependency_overrides:
        with request_session(request) as session:
            return _principal(session.execute(_KEY_BY_HASH, params).first())
    engine: Engine = request.app.state.autocommit_engine or request.app.state.engine
    with engine.connect().execution_options(**ONE_READ) as connection:
        return _principal(connection.execute(_KEY_BY_HASH, params).first())


def _principal(row: Sequence[Any] | None) -> IssuerPrincipal:
    """The caller of a key row ``(id, issuer_id, prefix)``; no row is a 401."""
    if row is None:
        raise Unauthorized()
    key_id, issuer_id, prefix = row
    return IssuerPrincipal(issuer_id=issuer_id, api_key_id=key_id, actor=f"api-key:{prefix}")


AdminAuth = Annotated[AdminPrincipal, Depends(require_admin)]
IssuerAuth = Annotated[IssuerPrincipal, Depends(require_issuer)]
