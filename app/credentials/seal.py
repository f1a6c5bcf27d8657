"""The canonical digest a credential was signed over, sealed to the row that stores it.

Signing an ``eddsa-rdfc-2022`` proof canonicalises the document (RDFC-1.0) and signs the
SHA-256 of that form with the proof configuration's (vc-di-eddsa §3.3.3). Verifying redoes the
canonicalisation, the dearest step of a credential page not yet cached. The signer already knows
the digest, so issuing keeps it on the row, with an HMAC under a key derived from the KEK over
the row's id, the SHA-256 of the stored ``document`` text and the digest (:meth:`Keystore.mac
<app.core.keystore.Keystore.mac>`). The page opens the seal against the text it is about to
verify and, when it holds, checks the signature against the recorded digest
(``openbadges.verify(..., canonical_digest=…)``): the Ed25519 check, the key's resolution and
binding, and every other check still run on every cold page.

Why this cannot show a changed credential as genuine: a changed ``document`` (one byte) no
longer matches the seal, which then does not open, and the credential is canonicalised and
verified the long way; a seal copied from another row names another id; and a seal cannot be
made without the KEK, which also guards the signing keys themselves (whoever holds it can sign
outright). A wrong digest could only make a signature fail, never pass.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid

from app.core.keystore import Keystore

VERSION = "1"
_INFO = b"openbadges-service/credential-canonical-seal/v1"
_DIGEST_BYTES = 32


def make(keystore: Keystore, credential_id: uuid.UUID, document: str, digest: bytes) -> str:
    """The seal stored with a credential whose ``document`` text was signed over ``digest``."""
    mac = keystore.mac(_INFO, _signed_over(credential_id, document, digest))
    return f"{VERSION}.{_b64(digest + mac)}"


def opened(
    keystore: Keystore, credential_id: uuid.UUID, document: str, seal: str | None
) -> bytes | None:
    """The recorded digest when ``seal`` was made for this id and exactly this ``document``
    text; None otherwise (no seal, another version, another row or text, another KEK)."""
    if not seal or not seal.startswith(VERSION + "."):
        return None
    try:
        raw = base64.urlsafe_b64decode(seal[len(VERSION) + 1 :] + "==")
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 2 * _DIGEST_BYTES:
        return None
    digest, mac = raw[:_DIGEST_BYTES], raw[_DIGEST_BYTES:]
    expected = keystore.mac(_INFO, _signed_over(credential_id, document, digest))
    return digest if hmac.compare_digest(mac, expected) else None


def _signed_over(credential_id: uuid.UUID, document: str, digest: bytes) -> bytes:
    text_digest = hashlib.sha256(document.encode("utf-8")).digest()
    return credential_id.bytes + text_digest + digest


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
