"""Random tokens for cookies and e-mailed links, stored only as SHA-256 (as learners' are)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

MAX_TOKEN = 200
"""Longer presented tokens are refused before hashing (ours are 43 characters)."""


def new_token() -> str:
    """32 random bytes, base64url: what a cookie or a link carries."""
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """The SHA-256 hex stored for ``token``."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_for(session_token: str) -> str:
    """The CSRF token of a session: derived from the cookie's secret, so nothing more is stored
    and a page of one session never works for another. Domain-separated from :func:`digest`."""
    return hmac.new(session_token.encode("utf-8"), b"console-csrf/v1", hashlib.sha256).hexdigest()


def same(given: str | None, expected: str) -> bool:
    """Constant-time equality of a presented token with the expected one."""
    return given is not None and hmac.compare_digest(
        given.encode("utf-8"), expected.encode("utf-8")
    )
