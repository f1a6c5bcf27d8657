"""Signed, expiring learner links (pure: the secret and the clock come in as arguments).

Learners have no accounts; the issuer hands them a link that proves "whoever holds this is the
learner with this e-mail / DID until this time". The token is ``<payload>.<mac>``: the payload is
base64url JSON ``{"sub": identity, "exp": unix seconds}`` and the MAC is HMAC-SHA256 under a key
derived from the server's key-encryption key with a purpose label (HMAC as a one-way KDF), so the
KEK itself is never used as a MAC key and tokens for other purposes cannot be replayed here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import UTC, datetime

_PURPOSE = b"openbadges-service/learner-link/v1"


class InvalidLink(Exception):
    """The token is malformed, forged or expired; the message says which (for logs, not users)."""


def _key(secret: bytes) -> bytes:
    """Derive the link MAC key from the server secret (one purpose, one key)."""
    return hmac.new(secret, _PURPOSE, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(identity: str, secret: bytes, expires_at: datetime) -> str:
    """Return a token binding ``identity`` (normalised e-mail or DID) until ``expires_at``."""
    payload = json.dumps(
        {"sub": identity, "exp": int(expires_at.timestamp())}, separators=(",", ":")
    ).encode("utf-8")
    mac = hmac.new(_key(secret), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def read_token(token: str, secret: bytes, now: datetime) -> str:
    """Return the identity in ``token``.

    Raises:
        InvalidLink: when the token is malformed, its MAC does not match, or it has expired.
    """
    try:
        payload_part, mac_part = token.split(".")
        payload, mac = _unb64(payload_part), _unb64(mac_part)
    except (ValueError, binascii.Error) as exc:
        raise InvalidLink("malformed token") from exc
    expected = hmac.new(_key(secret), payload, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):  # constant time: no MAC oracle by timing
        raise InvalidLink("bad signature")
    try:
        claims = json.loads(payload)
        identity, expires = str(claims["sub"]), int(claims["exp"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidLink("malformed payload") from exc
    if now.astimezone(UTC).timestamp() >= expires:
        raise InvalidLink("expired")
    return identity
