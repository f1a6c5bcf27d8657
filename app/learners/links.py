"""Signed, expiring learner links (pure: the secret and the clock come in as arguments).

Learners have no accounts; an issuer hands them a link that proves "whoever holds this is the
learner with this e-mail / DID, as far as this issuer's credentials go, until this time". The
token is ``<payload>.<mac>``: the payload is base64url JSON ``{"sub": identity, "iss": issuer
id, "exp": unix seconds}`` and the MAC is HMAC-SHA256 under a key derived from the server's
key-encryption key with a purpose label (HMAC as a one-way KDF), so the KEK itself is never used
as a MAC key and tokens for other purposes cannot be replayed here.

The issuer id is part of what is signed: a link one issuer asks for reaches only that issuer's
credentials and programs (issue 9: an unscoped link let any issuer that had issued a throw-away
credential to an address list, hide and export every other issuer's credentials for it). The
purpose labels moved to ``v2`` with the scope, so unscoped ``v1`` tokens no longer verify.

Two purposes share the format: ``LINK`` is the token in the link the issuer sends (and the
``Authorization: Bearer`` token of the learner API); ``SESSION`` is the short-lived token the
learner page puts in an HttpOnly cookie when the link is opened, so the link's token leaves the
address bar at once and a stolen cookie is not a month-long link.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

LINK = b"openbadges-service/learner-link/v2"
SESSION = b"openbadges-service/learner-session/v2"


class InvalidLink(Exception):
    """The token is malformed, forged or expired; the message says which (for logs, not users)."""


@dataclass(frozen=True, slots=True)
class LinkClaims:
    """What a valid token proves: the learner, the issuer whose view it opens, until when."""

    learner: str
    issuer_id: uuid.UUID
    expires_at: datetime


def _key(secret: bytes, purpose: bytes) -> bytes:
    """Derive the MAC key for one purpose from the server secret (one purpose, one key)."""
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(
    identity: str,
    issuer_id: uuid.UUID,
    secret: bytes,
    expires_at: datetime,
    *,
    purpose: bytes = LINK,
) -> str:
    """Return a token binding ``identity`` (normalised e-mail or DID) to ``issuer_id``'s view
    until ``expires_at``."""
    payload = json.dumps(
        {"sub": identity, "iss": str(issuer_id), "exp": int(expires_at.timestamp())},
        separators=(",", ":"),
    ).encode("utf-8")
    mac = hmac.new(_key(secret, purpose), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def read_token(token: str, secret: bytes, now: datetime, *, purpose: bytes = LINK) -> LinkClaims:
    """Return what ``token`` proves.

    Raises:
        InvalidLink: when the token is malformed, its MAC does not match (another secret or
            purpose, an edit, an unscoped ``v1`` token), it names no issuer, or it has expired.
    """
    try:
        payload_part, mac_part = token.split(".")
        payload, mac = _unb64(payload_part), _unb64(mac_part)
    except (ValueError, binascii.Error) as exc:
        raise InvalidLink("malformed token") from exc
    expected = hmac.new(_key(secret, purpose), payload, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):  # constant time: no MAC oracle by timing
        raise InvalidLink("bad signature")
    try:
        claims = json.loads(payload)
        identity, issuer, expires = str(claims["sub"]), uuid.UUID(claims["iss"]), claims["exp"]
        if not isinstance(expires, int) or isinstance(expires, bool):
            raise TypeError("exp")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidLink("malformed payload") from exc
    if now.astimezone(UTC).timestamp() >= expires:
        raise InvalidLink("expired")
    return LinkClaims(identity, issuer, datetime.fromtimestamp(expires, UTC))
