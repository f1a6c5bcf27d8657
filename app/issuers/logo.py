"""The issuer's uploaded logo: checked, stored, served, removed.

``PUT /api/v1/issuers/{id}/logo`` takes the raw image (``image/png`` or ``image/svg+xml``, at
most 256 KB) and checks it by content as the console's badge images are
(:func:`app.core.images.check_image`: a PNG by signature and header, an SVG parsed with
defusedxml and refused when it holds a script, an event handler, a ``foreignObject`` or a
reference to another file or site). The checked image is kept as a
``data:`` URI in the deferred column ``issuers.logo`` with its SHA-256 in ``logo_digest``.

The logo is public at ``GET /issuers/{id}/logo`` (:func:`served`): credentials and the public
profile carry that URL as the issuer's ``image`` when no ``image`` URL is set, never the data
URI itself (it would add up to 350 KB to every credential signed).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core import events
from app.core.errors import AppError, PayloadTooLarge, Unprocessable
from app.core.images import MAX_IMAGE_BYTES, ImageRefused, check_image
from app.events import IssuerUpdated
from app.issuers import service
from app.models import Issuer

CONTENT_TYPES = ("image/png", "image/svg+xml")

REFUSALS = {
    "empty": "The body is empty: send the PNG or SVG file itself.",
    "too_big": f"The logo is larger than {MAX_IMAGE_BYTES // 1024} KB.",
    "type": "Only PNG and SVG images are accepted (checked by content).",
    "mismatch": "The Content-Type does not match the content (for example a PNG sent as "
    "image/svg+xml).",
    "svg_entity": "The SVG declares a DOCTYPE or entities; they are not allowed.",
    "svg_invalid": "The SVG is not well-formed XML.",
    "too_many_pixels": "The logo is larger than 4096 × 4096 pixels.",
    "svg_script": "The SVG contains a script; it is not allowed.",
    "svg_foreign": "The SVG embeds HTML (foreignObject); it is not allowed.",
    "svg_event": "The SVG has event handlers (on… attributes); they are not allowed.",
    "svg_external": "The SVG refers to other files or sites; only #fragments and embedded "
    "images are allowed.",
}
"""English messages of :class:`ImageRefused` codes (the console shows its own translations)."""

SVG_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
"""The Content-Security-Policy an SVG logo is served with (nothing loads, nothing runs)."""


class UnsupportedMediaType(AppError):
    """A logo sent as something else than ``image/png`` or ``image/svg+xml``."""

    status, title, code = 415, "Unsupported media type", "unsupported_media_type"


@dataclass(frozen=True, slots=True)
class Logo:
    """A stored logo: its bytes, media type and digest (the ETag)."""

    data: bytes
    media_type: str
    digest: str


def checked(data: bytes, content_type: str) -> str:
    """The logo as a ``data:`` URI, or the problem to answer (413, 415, 422)."""
    declared = content_type.split(";")[0].strip().lower()
    if declared not in CONTENT_TYPES:
        raise UnsupportedMediaType(
            "Send the logo as image/png or image/svg+xml (the raw file as the body).",
            field="Content-Type",
        )
    try:
        return check_image(data, content_type=declared)
    except ImageRefused as refused:
        message = REFUSALS.get(refused.code, REFUSALS["type"])
        if refused.code == "too_big":
            raise PayloadTooLarge(message, field="logo") from None
        raise Unprocessable(message, field="logo") from None


def _decode(uri: str) -> tuple[bytes, str]:
    head, _, payload = uri.partition(",")
    media_type = head.removeprefix("data:").removesuffix(";base64")
    return base64.b64decode(payload), media_type


def set_logo(session: Session, issuer_id: uuid.UUID, uri: str, *, actor: str) -> Issuer:
    """Store a checked logo (:func:`checked`), audited as ``issuer.logo.set``."""
    issuer = service.get_issuer(session, issuer_id, for_update=True)
    data, media_type = _decode(uri)
    digest = hashlib.sha256(data).hexdigest()
    issuer.logo = uri
    issuer.logo_digest = digest
    audit.record(
        session,
        actor=actor,
        action="issuer.logo.set",
        subject_type="issuer",
        subject_id=issuer.id,
        issuer_id=issuer.id,
        details={"mediaType": media_type, "bytes": len(data), "sha256": digest},
    )
    events.record(session, IssuerUpdated(issuer.id, suspension_changed=False))
    session.commit()
    return issuer


def clear_logo(session: Session, issuer_id: uuid.UUID, *, actor: str) -> Issuer:
    """Remove the logo (nothing to remove: no change, no audit row)."""
    issuer = service.get_issuer(session, issuer_id, for_update=True)
    if issuer.logo_digest is None:
        session.rollback()
        return issuer
    issuer.logo = None
    issuer.logo_digest = None
    audit.record(
        session,
        actor=actor,
        action="issuer.logo.remove",
        subject_type="issuer",
        subject_id=issuer.id,
        issuer_id=issuer.id,
    )
    events.record(session, IssuerUpdated(issuer.id, suspension_changed=False))
    session.commit()
    return issuer


def served(session: Session, issuer_id: uuid.UUID) -> Logo | None:
    """The issuer's logo for ``GET /issuers/{id}/logo`` (one query, two columns), or None."""
    row = session.execute(
        select(Issuer.logo, Issuer.logo_digest).where(Issuer.id == issuer_id)
    ).first()
    if row is None or not row.logo or not row.logo_digest:
        return None
    data, media_type = _decode(row.logo)
    return Logo(data=data, media_type=media_type, digest=row.logo_digest)
