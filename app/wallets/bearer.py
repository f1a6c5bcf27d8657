"""Secrets handed to wallets, and how they are stored (SHA-256 only)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime

SECRET_BYTES = 32
"""256 bits for every bearer secret (offer reference, code, access token, exchange token)."""
TX_CODE_LENGTH = 6


def new_secret() -> str:
    """A fresh URL-safe bearer secret."""
    return secrets.token_urlsafe(SECRET_BYTES)


def new_tx_code() -> str:
    """A numeric transaction code (``input_mode: numeric``), typed by the learner."""
    return "".join(secrets.choice("0123456789") for _ in range(TX_CODE_LENGTH))


def digest(value: str) -> str:
    """The stored form of a secret: SHA-256, hex. Secrets are 256-bit random, so no salt or
    slow hash is needed; the six-digit transaction code is guarded by its attempt limit."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def code_for_reference(offer_ref: str) -> str:
    """The pre-authorized code of an offer reference, derived so that neither is stored.

    Whoever holds the ``credential_offer_uri`` can read the code anyway (that is what the
    offer is); deriving it lets the offer JSON be served while the database holds only the
    SHA-256 of each, from which neither can be recovered.
    """
    mac = hmac.new(offer_ref.encode("utf-8"), b"pre-authorized_code", hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


def same(expected_digest: str | None, value: str) -> bool:
    """Constant-time comparison of a stored digest with a presented value."""
    if expected_digest is None:
        return False
    return hmac.compare_digest(expected_digest, digest(value))


def now() -> datetime:
    """Now, in UTC (microseconds kept: expiry is compared, not signed)."""
    return datetime.now(UTC)
