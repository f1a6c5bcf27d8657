"""Baked badges: the badge picture with the signed credential inside (OB 3.0 §5.3 "baking").

The picture is the achievement's own image when the credential carries it as a ``data:`` URI
(PNG for the PNG download, SVG for the SVG one, a raster wrapped in SVG otherwise); else a
generated medallion (:mod:`app.web.badge_image`). Remote images are not fetched: a download
must not depend on someone else's server. A stored credential never changes, so each baked
file is made once per process and cached by credential id.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from app.hot.public import BAKED_TTL_S, baked_badges
from app.web import badge_image
from app.web.responses import etag_for
from app.web.view import image_url
from openbadges.baking import bake_png, bake_svg
from openbadges.errors import BakeError

MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


@dataclass(frozen=True, slots=True)
class BakedFile:
    """A baked badge ready to send."""

    body: bytes
    media_type: str
    etag: str
    filename: str


def signed_payload(credential: Any) -> str:
    """What is baked and verified: the JSON with its proof, or the VC-JWT when issued JWT-only."""
    if getattr(credential, "proof_format", None) == "jwt" and credential.jwt:
        return str(credential.jwt)
    return str(credential.document)


def _achievement(document: str) -> tuple[str, str | None]:
    """The achievement name and image reference out of the stored JSON."""
    try:
        doc = json.loads(document)
    except ValueError:
        return "Open Badge", None
    subject = doc.get("credentialSubject") if isinstance(doc, dict) else None
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    if not isinstance(achievement, dict):
        return "Open Badge", None
    name = achievement.get("name")
    return (name if isinstance(name, str) and name else "Open Badge"), image_url(
        achievement.get("image")
    )


def _filename(name: str, ext: str) -> str:
    """An ASCII file name (``badge-data-analysis.png``); non-Latin names fall back to ``badge``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60]
    return f"badge-{slug}.{ext}" if slug else f"badge.{ext}"


def _picture_png(name: str, image: str | None) -> bytes:
    decoded = badge_image.decode_data_uri(image)
    if decoded and decoded[0] != "image/svg+xml":
        png = badge_image.png_from_image(*decoded)
        if png is not None:
            return png
    return badge_image.generated_png(name)


def _picture_svg(name: str, image: str | None) -> str:
    decoded = badge_image.decode_data_uri(image)
    if decoded and decoded[0] == "image/svg+xml":
        try:
            return decoded[1].decode("utf-8")
        except UnicodeDecodeError:
            pass
    elif decoded:
        return badge_image.svg_wrapping(decoded[0], decoded[1], name)
    return badge_image.generated_svg(name)


def _bake(kind: str, document: str, payload: str) -> BakedFile:
    name, image = _achievement(document)
    if kind == "png":
        try:
            body = bake_png(_picture_png(name, image), payload)
        except BakeError:  # the issuer's image is not a sound PNG: use ours
            body = bake_png(badge_image.generated_png(name), payload)
    else:
        try:
            text = bake_svg(_picture_svg(name, image), payload)
        except BakeError:  # unsafe or malformed issuer SVG: use ours
            text = bake_svg(badge_image.generated_svg(name), payload)
        body = text.encode("utf-8")
    return BakedFile(body, MEDIA_TYPES[kind], etag_for(body), _filename(name, kind))


def baked_badge(credential: Any, kind: str) -> BakedFile:
    """The baked PNG or SVG of a stored credential (cached per process, bounded in bytes)."""
    payload = signed_payload(credential)
    key = (str(credential.id), kind)
    hit = baked_badges.get(key)
    if hit is not None and hit[0] == payload:
        return hit[1]
    baked = _bake(kind, str(credential.document), payload)
    baked_badges.put(key, (payload, baked), BAKED_TTL_S)
    return baked
