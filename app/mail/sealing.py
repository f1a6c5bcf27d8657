"""The claim link in a stored delivery, sealed.

A claim link carries the offer's raw token (the offers table keeps only its hash); the
delivery waits in ``deliveries.payload`` until it is sent, possibly for days of retries. Sealed
with AES-256-GCM under a key derived from the key-encryption key (HKDF-SHA256, RFC 5869, its
own ``info``), a database dump or a listing of payloads does not hand out claimable links. The
credential id is the associated data, so a sealed link cannot be moved to another message.
"""

from __future__ import annotations

import base64
import uuid

from app.core.sealing import Sealer, SealError

_INFO = b"badges/mail/claim-link/v1"

__all__ = ["SealError", "open_sealed", "seal"]


def seal(kek: bytes, credential_id: uuid.UUID, text: str) -> str:
    """``text`` encrypted and authenticated, as base64url."""
    blob = Sealer(kek, _INFO).seal(text.encode("utf-8"), credential_id.bytes)
    return base64.urlsafe_b64encode(blob).decode("ascii")


def open_sealed(kek: bytes, credential_id: uuid.UUID, blob: str) -> str:
    """The text :func:`seal` sealed; raises :class:`SealError`."""
    try:
        raw = base64.urlsafe_b64decode(blob.encode("ascii"))
    except ValueError as error:
        raise SealError("the sealed text is not base64url") from error
    return Sealer(kek, _INFO).open(raw, credential_id.bytes).decode("utf-8")
