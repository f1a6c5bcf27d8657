"""QR codes for a credential's permanent URL, made once per process.

A QR code costs as much as a signature (~7-10 ms) and never changes for a given URL, so each
is generated once, kept in an LRU, and served with ``immutable`` caching and a strong ETag.
Error correction level M survives a scuffed printout; the 4-module quiet zone is what phone
scanners expect.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass
from typing import Literal

import segno
from fastapi import Request
from fastapi.responses import Response

from app.hot.public import QR_CACHE_TTL_S, qr_images
from app.web.responses import IMMUTABLE, cached_bytes

QrKind = Literal["svg", "png"]
MEDIA_TYPES: dict[str, str] = {"svg": "image/svg+xml", "png": "image/png"}
PNG_SCALE = 8


@dataclass(frozen=True, slots=True)
class QrImage:
    """An encoded QR image and its strong ETag."""

    body: bytes
    media_type: str
    etag: str


def _encode(url: str, kind: QrKind) -> bytes:
    code = segno.make(url, error="m", boost_error=False)
    buffer = io.BytesIO()
    if kind == "svg":
        # No fixed size: the page and the print stylesheet scale it through the viewBox.
        code.save(buffer, kind="svg", border=4, xmldecl=False, omitsize=True, title=url)
    else:
        code.save(buffer, kind="png", border=4, scale=PNG_SCALE)
    return buffer.getvalue()


def qr_image(url: str, kind: QrKind) -> QrImage | None:
    """The cached QR code for ``url``, or ``None`` when it has not been made yet."""
    return qr_images.get((url, kind))


def render_qr(url: str, kind: QrKind) -> QrImage:
    """Make (and cache) the QR code encoding ``url`` as SVG or PNG."""
    body = _encode(url, kind)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    image = QrImage(body=body, media_type=MEDIA_TYPES[kind], etag=etag)
    qr_images.put((url, kind), image, QR_CACHE_TTL_S)
    return image


def qr_response(request: Request, image: QrImage) -> Response:
    """The image (or 304), cacheable for ever: a URL's QR code never changes."""
    return cached_bytes(request, image.body, image.media_type, image.etag, IMMUTABLE)


def svg_data_uri(url: str) -> str:
    """The QR code of ``url`` as an SVG ``data:`` URI to inline in a page, not cached: for
    short-lived secret links (a claim page's wallet offers), which must not sit in the LRU."""
    return "data:image/svg+xml;base64," + base64.b64encode(_encode(url, "svg")).decode("ascii")
