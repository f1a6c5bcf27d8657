"""Badge pictures: baked downloads, the page's display image, all from one design.

The picture is the achievement's own image when the credential carries it as a ``data:`` URI
(an SVG sanitised again on the way out, :func:`app.core.images.sanitize_svg`; a raster shown
as PNG, or wrapped in SVG for the SVG forms); else a generated medallion in the issuer's
colours (:mod:`app.web.badge_image`: ``brand_color`` fills it, ``accent_color`` rings it; the
palette when unset). An SVG achievement image has no PNG form here (no SVG rasteriser), so the
PNG forms show the generated medallion. Remote images are not fetched: a download must not
depend on someone else's server.

* Baked downloads (``/credentials/{id}/badge.png|svg``): the picture with the signed
  credential inside (:mod:`openbadges.baking`), made once per process.
* Display images (``/credentials/{id}/image.png|svg``): the picture alone, small (at most
  512 px), for the page's hero, so it need not load the baked SVG.

The signed credential never changes but the issuer's colours may: every cache entry is keyed
on the design's digest (:attr:`app.web.badge_image.Design.key`), so a colour change shows at
the next request (the ETag changes with it). The stores are declared in :mod:`app.hot.public`.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from PIL import Image

from app.core.images import ImageRefused, decodable_raster, sanitize_svg
from app.hot.public import BAKED_TTL_S, DISPLAY_TTL_S, baked_badges, display_images
from app.web import badge_image
from app.web.brand import brand_of
from app.web.responses import etag_for
from app.web.view import image_url, party
from openbadges.baking import bake_png, bake_svg
from openbadges.errors import BakeError

MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
DISPLAY_MAX_PX = 512
"""The display PNG's largest side (an achievement's own raster is scaled down to it)."""


@dataclass(frozen=True, slots=True)
class BakedFile:
    """A baked badge ready to send."""

    body: bytes
    media_type: str
    etag: str
    filename: str
    design: str = ""
    """The :attr:`~app.web.badge_image.Design.key` it was made with."""


@dataclass(frozen=True, slots=True)
class DisplayImage:
    """An unbaked badge picture ready to send."""

    body: bytes
    media_type: str
    etag: str


@dataclass(frozen=True, slots=True)
class Branding:
    """The issuer's colours as set now (``None``: unset)."""

    brand: str | None = None
    accent: str | None = None


@dataclass(frozen=True, slots=True)
class Picture:
    """What a credential's badge shows: its design and the achievement's own image, if any."""

    design: badge_image.Design
    image: str | None
    issuer: str

    @property
    def key(self) -> str:
        """The design's digest (the image is part of the signed credential, keyed by its id)."""
        return self.design.key


def branding_of(session: Any, credential: Any) -> Branding:
    """The colours of the credential's issuer, as its pages show them (:func:`brand_of`)."""
    brand = brand_of(session, getattr(credential, "issuer_id", None))
    return Branding(brand.color, brand.accent) if brand is not None else Branding()


def signed_payload(credential: Any) -> str:
    """What is baked and verified: the JSON with its proof, or the VC-JWT when issued JWT-only."""
    if getattr(credential, "proof_format", None) == "jwt" and credential.jwt:
        return str(credential.jwt)
    return str(credential.document)


def picture_of(document: str, branding: Branding | None = None) -> Picture:
    """The badge picture of a stored credential's JSON in the issuer's colours."""
    colours = branding or Branding()
    try:
        doc = json.loads(document)
    except ValueError:
        doc = {}
    doc = doc if isinstance(doc, dict) else {}
    subject = doc.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    achievement = achievement if isinstance(achievement, dict) else {}
    name = achievement.get("name")
    name = name.strip() if isinstance(name, str) and name.strip() else "Open Badge"
    issuer = party(doc.get("issuer")).name
    design = badge_image.Design(name[:500], colours.brand, colours.accent, issuer[:200])
    return Picture(design, image_url(achievement.get("image")), issuer)


def _filename(name: str, ext: str) -> str:
    """An ASCII file name (``badge-data-analysis.png``); non-Latin names fall back to ``badge``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60]
    return f"badge-{slug}.{ext}" if slug else f"badge.{ext}"


def picture_png(picture: Picture) -> bytes:
    """The picture as PNG: the achievement's raster image, else the generated medallion."""
    decoded = badge_image.decode_data_uri(picture.image)
    if decoded and decoded[0] != "image/svg+xml":
        png = badge_image.png_from_image(*decoded)
        if png is not None:
            return png
    return badge_image.design_png(picture.design)


def picture_svg(picture: Picture) -> str:
    """The picture as SVG: the achievement's SVG (sanitised), a raster wrapped in SVG, else
    the generated medallion."""
    decoded = badge_image.decode_data_uri(picture.image)
    if decoded and decoded[0] == "image/svg+xml":
        try:
            return sanitize_svg(decoded[1])[0].decode("utf-8")
        except (ImageRefused, UnicodeDecodeError):
            pass
    elif decoded and decodable_raster(decoded[1]):
        return badge_image.svg_wrapping(decoded[0], decoded[1], picture.design.name)
    return badge_image.design_svg(picture.design)


def _bake(kind: str, picture: Picture, payload: str) -> BakedFile:
    if kind == "png":
        try:
            body = bake_png(picture_png(picture), payload)
        except BakeError:  # the issuer's image is not a sound PNG: use ours
            body = bake_png(badge_image.design_png(picture.design), payload)
    else:
        try:
            text = bake_svg(picture_svg(picture), payload)
        except BakeError:  # malformed issuer SVG: use ours
            text = bake_svg(badge_image.design_svg(picture.design), payload)
        body = text.encode("utf-8")
    filename = _filename(picture.design.name, kind)
    return BakedFile(body, MEDIA_TYPES[kind], etag_for(body), filename, picture.key)


def baked_badge(credential: Any, kind: str, branding: Branding | None = None) -> BakedFile:
    """The baked PNG or SVG of a stored credential (cached per process, bounded in bytes;
    made again when the credential's payload or the issuer's colours changed)."""
    payload = signed_payload(credential)
    picture = picture_of(str(credential.document), branding)
    key = (str(credential.id), kind)
    hit = baked_badges.get(key)
    if hit is not None and hit[0] == payload and hit[1].design == picture.key:
        return hit[1]
    baked = _bake(kind, picture, payload)
    baked_badges.put(key, (payload, baked), BAKED_TTL_S)
    return baked


def _small_png(png: bytes) -> bytes:
    """``png`` scaled down to at most :data:`DISPLAY_MAX_PX` a side (as is when smaller);
    empty when it is unreadable or too large to decode (:func:`app.core.images.decodable_raster`:
    not decoded; :func:`picture_png` has already put the generated medallion in its place)."""
    if not decodable_raster(png):
        return b""
    try:
        with Image.open(io.BytesIO(png)) as image:
            if max(image.size) <= DISPLAY_MAX_PX:
                return png
            small = image.convert("RGBA")
            small.thumbnail((DISPLAY_MAX_PX, DISPLAY_MAX_PX), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            small.save(buffer, format="PNG", optimize=True)
            return buffer.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return png


def display_image(credential: Any, kind: str, branding: Branding | None = None) -> DisplayImage:
    """The unbaked picture of a stored credential (PNG at most 512 px, or SVG) for its page,
    cached per process by credential, kind and design."""
    picture = picture_of(str(credential.document), branding)
    key = (str(credential.id), kind, picture.key)
    hit = display_images.get(key)
    if hit is not None:
        return hit
    if kind == "png":
        body = _small_png(picture_png(picture))
    else:
        decoded = badge_image.decode_data_uri(picture.image)
        if decoded and decoded[0] != "image/svg+xml":
            small = _small_png(badge_image.png_from_image(*decoded) or b"")
            text = (
                badge_image.svg_wrapping("image/png", small, picture.design.name)
                if small
                else badge_image.design_svg(picture.design)
            )
        else:
            text = picture_svg(picture)
        body = text.encode("utf-8")
    made = DisplayImage(body, MEDIA_TYPES[kind], etag_for(body))
    display_images.put(key, made, DISPLAY_TTL_S)
    return made
