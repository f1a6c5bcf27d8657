"""The sign-in link inside a queued e-mail, sealed.

A delivery waits in ``deliveries.payload`` until it is sent; the link it carries is a way into
the learner's account, so it is kept there encrypted and authenticated (AES-256-GCM under a key
derived from the key-encryption key, its own HKDF ``info``), bound to the link's row id: a
listing of payloads or a database dump hands out no sign-in. The e-mail channel opens it when
it sends (:mod:`app.mail.sender`).
"""

from __future__ import annotations

import base64
import uuid

from app.core.sealing import Sealer, SealError

_INFO = b"badges/accounts/sign-in-link/v1"

__all__ = ["SealError", "open_link", "seal_link"]


def seal_link(kek: bytes, link_id: uuid.UUID, url: str) -> str:
    """``url`` sealed, as base64url."""
    blob = Sealer(kek, _INFO).seal(url.encode("utf-8"), link_id.bytes)
    return base64.urlsafe_b64encode(blob).decode("ascii")


def open_link(kek: bytes, link_id: uuid.UUID, blob: str) -> str:
    """The URL :func:`seal_link` sealed; raises :class:`SealError`."""
    try:
        raw = base64.urlsafe_b64decode(blob.encode("ascii"))
    except ValueError as error:
        raise SealError("the sealed link is not base64url") from error
    return Sealer(kek, _INFO).open(raw, link_id.bytes).decode("utf-8")
