"""Make the certificate of a stored credential once, and keep it in this worker's memory.

The PDF is a function of what the cache key holds (:func:`cache_key`): the credential (its
signed document never changes), its revocation and suspension columns, whether it has expired,
the page language, its page URL (the QR code's content) and the issuer's branding (any change
of the issuer row moves ``updated_at``; the logo has its digest). reportlab writes it
byte-for-byte the same for the same content (``invariant``), so every worker gives one ETag.

One certificate is drawn at a time per worker: reportlab keeps per-font subsetting state that
is not documented as thread-safe, and a drawing is ~50 ms of CPU that a second thread could
not speed up anyway (the GIL). Waiting requests for the same certificate then find it made.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.certificates.content import certificate_content, is_expired
from app.certificates.layout import draw
from app.hot import public as hot
from app.models import Credential, Issuer
from app.web import i18n
from app.web.responses import etag_for

_drawing = threading.Lock()


@dataclass(frozen=True, slots=True)
class CertificatePdf:
    """A made certificate and its strong ETag."""

    body: bytes
    etag: str


def cache_key(
    credential: Credential, issuer: Issuer | None, locale: str, page_url: str, now: datetime
) -> tuple[Any, ...]:
    """Everything that changes the PDF (see the module docstring)."""
    branding = (issuer.updated_at, issuer.logo_digest) if issuer is not None else None
    return (
        credential.id,
        credential.revoked_at,
        credential.suspended_at,
        is_expired(credential, now),
        locale,
        page_url,
        branding,
    )


def cached_certificate(key: tuple[Any, ...]) -> CertificatePdf | None:
    """The kept certificate for ``key``, or None."""
    hit = hot.certificates.get(key)
    return None if hit is None else CertificatePdf(hit[0], hit[1])


def certificate_pdf(
    session: Any,
    credential: Credential,
    issuer: Issuer | None,
    t: i18n.Translator,
    *,
    base_url: str,
    page_url: str,
    now: datetime,
) -> CertificatePdf:
    """The certificate of ``credential`` in ``t``'s language: kept, else made and kept."""
    key = cache_key(credential, issuer, t.locale, page_url, now)
    hit = cached_certificate(key)
    if hit is not None:
        return hit
    content = certificate_content(
        session, credential, issuer, t, base_url=base_url, page_url=page_url, now=now
    )
    with _drawing:
        hit = cached_certificate(key)
        if hit is not None:
            return hit
        body = draw(content)
        made = CertificatePdf(body, etag_for(body))
        hot.certificates.put(key, (made.body, made.etag), hot.CERTIFICATE_TTL_S)
    return made
