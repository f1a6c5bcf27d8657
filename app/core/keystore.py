"""Private-key custody: the only module that seals and opens issuers' private keys.

Keys are stored as ``nonce || AES-256-GCM(PKCS#8 PEM)`` under a key derived (HKDF-SHA256) from
the dedicated key-encryption key (``BADGES_KEY_ENCRYPTION_KEY``). The signing key's row id is the
associated data, so a sealed blob copied onto another row does not open. ``kek_id`` records
which KEK sealed a blob so keys can be re-wrapped when the KEK is replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.core.sealing import Sealer, SealError
from openbadges.keys import SigningKey as LibSigningKey

_HKDF_INFO = b"openbadges-service/signing-key-wrap/v1"


class KeystoreError(RuntimeError):
    """A sealed key that cannot be opened (wrong KEK or tampered data)."""


@dataclass(frozen=True, slots=True)
class SealedKey:
    """What is stored on the signing-key row."""

    blob: bytes
    kek_id: str


class Keystore:
    """Seals and opens private keys under one key-encryption key; caches opened keys."""

    def __init__(self, kek: bytes) -> None:
        if len(kek) != 32:
            raise ValueError("the key-encryption key must be 32 bytes")
        self._sealer = Sealer(kek, _HKDF_INFO)
        self.kek_id = hashlib.sha256(b"kek-id:" + kek).hexdigest()[:16]
        self._cache: dict[uuid.UUID, LibSigningKey] = {}
        self._lock = threading.Lock()
        self._kek = kek
        self._mac_keys: dict[bytes, bytes] = {}

    def mac(self, info: bytes, data: bytes) -> bytes:
        """HMAC-SHA256 of ``data`` under this KEK's key for the purpose ``info`` (HKDF-SHA256,
        derived once per purpose): a record the service vouches for, which nobody without the
        KEK can make, as nobody without it can open a signing key."""
        key = self._mac_keys.get(info)
        if key is None:
            key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(self._kek)
            self._mac_keys[info] = key
        return hmac.new(key, data, hashlib.sha256).digest()

    def seal(self, key: LibSigningKey, key_id: uuid.UUID) -> SealedKey:
        """Encrypt ``key`` for storage on the row ``key_id``."""
        return SealedKey(blob=self._sealer.seal(key.to_pem(None), key_id.bytes), kek_id=self.kek_id)

    def open(self, blob: bytes, key_id: uuid.UUID, kek_id: str) -> LibSigningKey:
        """Decrypt the key of row ``key_id`` (cached: signing is on the hot path)."""
        cached = self._cache.get(key_id)
        if cached is not None:
            return cached
        if kek_id != self.kek_id:
            raise KeystoreError(
                f"signing key {key_id} was sealed by key-encryption key {kek_id}, "
                f"but the configured one is {self.kek_id}"
            )
        try:
            pem = self._sealer.open(blob, key_id.bytes)
        except SealError as exc:
            raise KeystoreError(f"signing key {key_id} does not open under this KEK") from exc
        key = LibSigningKey.from_pem(pem, None)
        with self._lock:
            self._cache[key_id] = key
        return key
