"""HTML responses with the headers every page of ours carries.

The Content-Security-Policy is defence in depth behind autoescaping: no inline script, no
plugins, no framing, forms only to ourselves. Images may be ``data:`` or https because badge
images are often one or the other.
"""

from __future__ import annotations

import hashlib

from fastapi import Request
from fastapi.responses import Response

from app.web.i18n import COOKIE, match_locale

CSP = (
    "default-src 'self'; img-src 'self' data: https:; script-src 'self'; style-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
IMMUTABLE = "public, max-age=31536000, immutable"
"""Cache-Control of what a URL names for ever (QR codes, content-hashed assets)."""


def etag_for(body: bytes) -> str:
    """A strong ETag for ``body``."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(request: Request, etag: str) -> bool:
    """True when the client already holds this exact representation."""
    header = request.headers.get("if-none-match", "")
    return etag in (tag.strip() for tag in header.split(","))


SVG_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
"""Every SVG served from this origin, opened on its own: nothing loads but embedded images,
nothing runs, no navigation or forms (``sandbox``). Badge pictures and logos come from issuers;
the sanitiser (:mod:`app.core.images`) removes what it can find, and this stops what it
cannot."""


def cached_bytes(
    request: Request, body: bytes, media_type: str, etag: str, cache_control: str, **extra: str
) -> Response:
    """A non-HTML body (or 304) with its strong ETag and caching headers, plus ``extra``; an
    SVG under :data:`SVG_CSP`."""
    headers = {"ETag": etag, "Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"}
    if media_type.startswith("image/svg"):
        headers["Content-Security-Policy"] = SVG_CSP
    headers |= extra
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def html_page(
    request: Request,
    body: bytes,
    *,
    locale: str,
    status_code: int = 200,
    etag: str | None = None,
    cache_control: str = "no-cache",
) -> Response:
    """An HTML response (or 304) with security, language and caching headers."""
    headers = {
        "Content-Language": locale,
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cache-Control": cache_control,
        "Vary": "Accept-Language, Cookie",
    }
    if etag and status_code == 200:
        headers["ETag"] = etag
        if not_modified(request, etag):
            response = Response(status_code=304, headers=headers)
            remember_locale(request, response)
            return response
    response = Response(
        body, status_code=status_code, media_type="text/html; charset=utf-8", headers=headers
    )
    remember_locale(request, response)
    return response


def remember_locale(request: Request, response: Response) -> None:
    """Set the language cookie when ``?lang=`` chose a supported language."""
    chosen = match_locale(request.query_params.get("lang"))
    if chosen and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(
            COOKIE, chosen, max_age=LANG_COOKIE_MAX_AGE, path="/", samesite="lax", httponly=True
        )
