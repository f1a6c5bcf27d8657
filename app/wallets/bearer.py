"""Secrets handed to wallets, and how they are stored (SHA-256 only) or derived (HMAC).

Two kinds of secret are *derived*, not stored, each under its own key derived from the
service's key-encryption key (HKDF-SHA256, RFC 5869, a label per purpose, as
:mod:`app.core.sealing` derives its keys):

* the **offer reference** in a wallet link (``…/offer?token=…``, ``…/exchange?token=…``):
  the offer's id and an HMAC-SHA256 of it, so the claim page shows the same links on every
  view without writing anything, and a database copy (without the KEK) names no link;
* the **pre-authorized code** of a grant: an HMAC of the grant's id, so a wallet that fetches
  the offer again gets the same code back while only its SHA-256 is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from datetime import UTC, datetime
from typing import Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_BYTES = 32
"""256 bits for every random bearer secret (access token, nonce, challenge)."""
TX_CODE_LENGTH = 6

Purpose = Literal["oid4vci", "vcapi"]
_REFERENCE_INFO: dict[str, bytes] = {
    "oid4vci": b"badges/wallets/oid4vci-offer-reference/v1",
    "vcapi": b"badges/wallets/vcapi-exchange-reference/v1",
}
_CODE_INFO = b"badges/wallets/pre-authorized-code/v1"
REFERENCE_LENGTH = 64
"""base64url of 16 bytes of offer id and 32 bytes of HMAC-SHA256: 64 characters, no padding."""
_REFERENCE = re.compile(r"[A-Za-z0-9_-]{64}")


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


def _key(kek: bytes, info: bytes) -> bytes:
    """The purpose's HMAC key (HKDF-SHA256 of the KEK under ``info``; derived per use, a few
    microseconds, rather than kept in process memory beside the KEK)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(kek)


def _mac(kek: bytes, info: bytes, data: bytes) -> bytes:
    return hmac.new(_key(kek, info), data, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def offer_reference(kek: bytes, purpose: Purpose, offer_id: uuid.UUID) -> str:
    """The stable reference of an offer in a wallet link of ``purpose`` (64 characters).

    Unguessable without the KEK (a 256-bit MAC); the same for every view of the claim page;
    one purpose's reference is no reference for the other. It stops working with its offer
    (expiry, revocation), and when the KEK changes.
    """
    return _b64(offer_id.bytes + _mac(kek, _REFERENCE_INFO[purpose], offer_id.bytes))


def offer_of_reference(kek: bytes, purpose: Purpose, reference: str | None) -> uuid.UUID | None:
    """The offer id a reference names, or None when it is not one of ours (constant-time)."""
    if not reference or not _REFERENCE.fullmatch(reference):
        return None
    raw = base64.urlsafe_b64decode(reference + "=" * (-len(reference) % 4))
    offer_id, mac = raw[:16], raw[16:]
    if not hmac.compare_digest(mac, _mac(kek, _REFERENCE_INFO[purpose], offer_id)):
        return None
    return uuid.UUID(bytes=offer_id)


def pre_authorized_code(kek: bytes, grant_id: uuid.UUID) -> str:
    """The pre-authorized code of a grant (43 characters): derived, so that a wallet fetching
    the offer again is given the same code while the database holds only its SHA-256."""
    return _b64(_mac(kek, _CODE_INFO, grant_id.bytes))


def same(expected_digest: str | None, value: str) -> bool:
    """Constant-time comparison of a stored digest with a presented value."""
    if expected_digest is None:
        return False
    return hmac.compare_digest(expected_digest, digest(value))


def now() -> datetime:
    """Now, in UTC (microseconds kept: expiry is compared, not signed)."""
    return datetime.now(UTC)
