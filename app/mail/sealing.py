"""The claim link in a stored delivery, sealed.

A claim link carries the offer's raw token (the offers table keeps only its hash); the
delivery waits in ``deliveries.payload`` until it is sent, possibly for days of retries. Sealed
with AES-256-GCM under a key derived from the key-encryption key (HKDF-SHA256, RFC 5869, its
own ``info``), a database dump or a listing of payloads does not hand out claimable links. The
credential id is the associated data, so a sealed link cannot be moved to another message.
"""

from __future__ import annotations

import base64
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"badges/mail/claim-link/v1"
_NONCE = 12


class SealError(ValueError):
    """The sealed link cannot be opened (another key-encryption key, or altered)."""


def _key(kek: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(kek)


def seal(kek: bytes, credential_id: uuid.UUID, text: str) -> str:
    """``text`` encrypted and authenticated, as base64url."""
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(_key(kek)).encrypt(nonce, text.encode("utf-8"), credential_id.bytes)
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def open_sealed(kek: bytes, credential_id: uuid.UUID, blob: str) -> str:
    """The text :func:`seal` sealed; raises :class:`SealError`."""
    try:
        raw = base64.urlsafe_b64decode(blob.encode("ascii"))
        plain = AESGCM(_key(kek)).decrypt(raw[:_NONCE], raw[_NONCE:], credential_id.bytes)
    except (InvalidTag, ValueError) as error:
        raise SealError("the claim link was sealed under another key or altered") from error
    return plain.decode("utf-8")
