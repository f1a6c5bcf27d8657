"""Webhook signing secrets: made, shown once, sealed at rest, opened only to sign.

A Standard Webhooks secret is ``whsec_`` followed by the base64 of 24 to 64 random bytes
(https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md,
"Symmetric signatures"); we make 32. The HMAC needs the secret itself, so it is stored as
``nonce || AES-256-GCM(secret)`` under a key derived (HKDF-SHA256) from the service's
key-encryption key, as private signing keys are (:mod:`app.core.keystore`), but under a key of
its own (another HKDF ``info``): a webhook secret's blob can never be opened as a signing key
or the other way round. The endpoint's id is the associated data, so a blob copied onto
another endpoint's row does not open.
"""

from __future__ import annotations

import base64
import secrets
import uuid

from app.core.context import AppContext
from app.core.sealing import Sealer, SealError

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
_HKDF_INFO = b"openbadges-service/webhook-secret-wrap/v1"


class SecretUnavailable(RuntimeError):
    """A sealed secret that does not open (another KEK, or tampered data)."""


def new_secret() -> str:
    """A fresh ``whsec_…`` secret (32 random bytes, standard base64)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


class SecretBox:
    """Seals and opens webhook secrets under one key-encryption key."""

    def __init__(self, kek: bytes, kek_id: str) -> None:
        self._sealer = Sealer(kek, _HKDF_INFO)
        self.kek_id = kek_id

    def seal(self, secret: str, endpoint_id: uuid.UUID) -> bytes:
        return self._sealer.seal(secret.encode("ascii"), endpoint_id.bytes)

    def open(self, blob: bytes, endpoint_id: uuid.UUID, kek_id: str) -> str:
        if kek_id != self.kek_id:
            raise SecretUnavailable(
                f"the secret of webhook endpoint {endpoint_id} was sealed by key-encryption "
                f"key {kek_id}, but the configured one is {self.kek_id}"
            )
        try:
            plain = self._sealer.open(blob, endpoint_id.bytes)
        except SealError as exc:
            raise SecretUnavailable(
                f"the secret of webhook endpoint {endpoint_id} does not open under this KEK"
            ) from exc
        return plain.decode("ascii")


def box(context: AppContext) -> SecretBox:
    """The box of the context's KEK (an HKDF derivation: microseconds, so not kept)."""
    return SecretBox(context.settings.kek_bytes(), context.keystore.kek_id)
