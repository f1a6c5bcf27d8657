"""Secrets at rest, sealed under the service's key-encryption key (KEK).

One construction for everything the service must store yet be able to read back: issuers'
private keys (:mod:`app.core.keystore`), webhook signing secrets (:mod:`app.webhooks.sealing`)
and the claim links and wallet codes waiting in e-mail deliveries (:mod:`app.mail.sealing`).
Each purpose derives its own AES-256-GCM key from the KEK with HKDF-SHA256 (RFC 5869) under
its own ``info`` label, so a blob sealed for one purpose never opens as another; the row the
secret belongs to is the associated data, so a blob copied onto another row does not open
either. A blob is ``nonce (12 bytes) || ciphertext+tag``.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12


class SealError(ValueError):
    """A blob that does not open: sealed under another KEK or purpose, for another row, or
    altered."""


class Sealer:
    """Seals and opens one purpose's secrets under one KEK."""

    def __init__(self, kek: bytes, info: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(kek)
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, associated: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, associated)

    def open(self, blob: bytes, associated: bytes) -> bytes:
        try:
            return self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated)
        except (InvalidTag, ValueError) as error:
            raise SealError("the sealed secret does not open") from error
