"""Bearer authentication: the admin token and issuer-scoped API keys.

API keys are looked up by the SHA-256 of the presented token (a unique index), so nothing
secret is compared byte by byte in Python; the admin token is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from app.core.context import ContextDep
from app.core.db import request_session
from app.core.errors import Unauthorized
from app.models import ApiKey

API_KEY_PREFIX = "obk_"
API_KEY_CACHE_SECONDS = 5.0
"""How long a worker trusts an API key it has looked up without asking the database again.

Revoking a key takes effect at once in the worker that revoked it (:func:`forget_api_key`)
and within this many seconds in every other worker process. It saves a query and an ORM load
on every issuer-scoped request."""
_API_KEY_CACHE_SIZE = 1024

_principals: dict[str, tuple[float, IssuerPrincipal]] = {}
_clock = time.monotonic  # a seam for the TTL test


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


def forget_api_key(token_hash: str) -> None:
    """Drop a cached principal (called when its key is revoked)."""
    _principals.pop(token_hash, None)


def _cached_principal(token_hash: str) -> IssuerPrincipal | None:
    """The principal looked up less than ``API_KEY_CACHE_SECONDS`` ago, if any."""
    cached = _principals.get(token_hash)
    if cached is None or cached[0] < _clock():
        return None
    return cached[1]


def _remember(token_hash: str, principal: IssuerPrincipal) -> None:
    """Cache a valid key's principal (bounded: cleared wholesale when full)."""
    if len(_principals) >= _API_KEY_CACHE_SIZE:
        _principals.clear()
    _principals[token_hash] = (_clock() + API_KEY_CACHE_SECONDS, principal)


async def require_issuer(request: Request) -> IssuerPrincipal:
    """Accept an unrevoked API key and scope the request to its issuer.

    ``async`` and cache-first: a key seen in the last few seconds costs no thread-pool hand-off
    and no query; only a miss looks the key up, in the thread pool with its own session.
    """
    token = _bearer(request)
    if not token.startswith(API_KEY_PREFIX):
        raise Unauthorized()
    token_hash = hash_token(token)
    principal = _cached_principal(token_hash)
    if principal is None:
        principal = await run_in_threadpool(_look_up, request, token_hash)
        _remember(token_hash, principal)
    return principal


def _look_up(request: Request, token_hash: str) -> IssuerPrincipal:
    """The principal of an unrevoked key with this hash, or 401 (a database read)."""
    with request_session(request) as session:
        key = session.scalar(select(ApiKey).where(ApiKey.token_hash == token_hash))
        if key is None or key.revoked_at is not None:
            raise Unauthorized()
        return IssuerPrincipal(
            issuer_id=key.issuer_id, api_key_id=key.id, actor=f"api-key:{key.prefix}"
        )


AdminAuth = Annotated[AdminPrincipal, Depends(require_admin)]
IssuerAuth = Annotated[IssuerPrincipal, Depends(require_issuer)]
