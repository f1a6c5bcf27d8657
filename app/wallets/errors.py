"""Errors of the wallet protocols.

OpenID4VCI's token and credential endpoints answer with OAuth 2.0 error objects (RFC 6749
§5.2, RFC 6750 §3, OpenID4VCI 1.0 §6.3 and §8.3.1), ``application/json`` with ``error`` and
``error_description``, which wallets parse; the RFC 9457 members (``type``, ``title``,
``status``, ``detail``) are added beside them, as wallets ignore unknown members. The VC-API
exchange answers problem JSON like the rest of the service.
"""

from __future__ import annotations

import re
from typing import Any

from app.core.errors import PROBLEM_BASE, AppError

_UNSAFE = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")
"""``error_description`` may hold only %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash)."""


class OAuthError(AppError):
    """An OAuth / OpenID4VCI error code with its HTTP status."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status = status
        self.code = error
        self.title = error.replace("_", " ").capitalize()
        self.extra: dict[str, Any] = {}
        """Further members of the body (a fresh ``c_nonce`` with a key proof refusal)."""
        if status == 401:
            self.headers["WWW-Authenticate"] = f'Bearer error="{error}"'

    def to_oauth(self) -> dict[str, Any]:
        """The body: the OAuth members first, then the RFC 9457 ones."""
        return {
            "error": self.error,
            "error_description": _UNSAFE.sub("?", self.detail),
            "type": PROBLEM_BASE + self.error,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }


def invalid_grant(description: str) -> OAuthError:
    """Wrong, expired or used pre-authorized code, or a wrong transaction code."""
    return OAuthError("invalid_grant", description)


def invalid_request(description: str) -> OAuthError:
    """A malformed token request (a missing parameter, an unexpected transaction code)."""
    return OAuthError("invalid_request", description)


def invalid_token(description: str) -> OAuthError:
    """No, unknown or expired access token at the credential endpoint (RFC 6750 §3.1)."""
    return OAuthError("invalid_token", description, status=401)


def invalid_proof(description: str) -> OAuthError:
    """A missing or invalid key proof (OpenID4VCI 1.0 §8.3.1.2)."""
    return OAuthError("invalid_proof", description)


def invalid_nonce(description: str) -> OAuthError:
    """A key proof whose ``nonce`` is unknown, expired or spent: fetch a new ``c_nonce``."""
    return OAuthError("invalid_nonce", description)
