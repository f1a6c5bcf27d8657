"""VERP return paths: which delivery a bounce is about, in an address nobody can forge.

With ``BADGES_MAIL_BOUNCE_ADDRESS=bounces@uni.example`` each message goes out with the
envelope sender (``MAIL FROM``, the ``Return-Path`` the receiving side bounces to)
``bounces+<token>@uni.example`` (variable envelope return path, as Mailman and Discourse use;
RFC 5321 §4.5.5 sends every non-delivery report there). The token is the delivery's id and an
80-bit HMAC-SHA256 of it under a key derived from the key-encryption key with HKDF-SHA256
(RFC 5869, its own ``info``, as :mod:`app.core.sealing` derives its keys), in lowercase base32:
42 characters a receiving MTA may fold to lowercase without harm. The header ``From`` is not
changed.

A token proves that its holder saw that message's envelope (the receiving MTA and the
learner's mailbox see it as ``Return-Path``), nothing more: a learner can report a bounce of a
message sent to them, not of anyone else's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"badges/mail/bounce-token/v1"
MAC_BYTES = 10
TOKEN_LENGTH = 42
"""Base32 characters of 16 id bytes and :data:`MAC_BYTES` of MAC (208 bits, unpadded)."""
_TOKEN_IN_ADDRESS = re.compile(rf"\+([a-z2-7]{{{TOKEN_LENGTH}}})@[^@]+$", re.IGNORECASE)


def _key(kek: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(kek)


def _mac(key: bytes, delivery_id: uuid.UUID) -> bytes:
    return hmac.new(key, delivery_id.bytes, hashlib.sha256).digest()[:MAC_BYTES]


def token(kek: bytes, delivery_id: uuid.UUID) -> str:
    """The bounce token of one delivery."""
    raw = delivery_id.bytes + _mac(_key(kek), delivery_id)
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def return_path(bounce_address: str, kek: bytes, delivery_id: uuid.UUID) -> str:
    """``local+<token>@domain`` of ``bounce_address`` for one delivery."""
    local, _, domain = bounce_address.rpartition("@")
    return f"{local}+{token(kek, delivery_id)}@{domain}"


def token_in(address: str) -> str | None:
    """The token in an address of the form ``…+<token>@domain`` (None: no token there)."""
    found = _TOKEN_IN_ADDRESS.search(address.strip().strip("<>"))
    return found.group(1).lower() if found else None


def delivery_of(kek: bytes, text: str) -> uuid.UUID | None:
    """The delivery a token names, when its MAC verifies under ``kek`` (None: forged, altered,
    or made under another key)."""
    if len(text) != TOKEN_LENGTH:
        return None
    try:
        raw = base64.b32decode(text.upper() + "=" * 6)
    except ValueError:
        return None
    delivery_id = uuid.UUID(bytes=raw[:16])
    # The whole text against the token made now: base32's last character carries two unused
    # bits, and a text that differs only there must not pass as the same token.
    if not hmac.compare_digest(text.lower().encode("ascii"), token(kek, delivery_id).encode()):
        return None
    return delivery_id
