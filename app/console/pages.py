"""Rendering console pages: the visitor's language, the security headers, no caching.

Pages go through :func:`app.web.responses.html_page` (CSP without inline script, language
cookie from ``?lang=``) with ``Cache-Control: no-store`` (they show data of one signed-in
person), ``Referrer-Policy: same-origin`` and ``X-Robots-Tag: noindex``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request, status
from fastapi.responses import RedirectResponse, Response

from app.models import Issuer
from app.web import i18n
from app.web.responses import html_page
from app.web.templating import render

PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}


def page(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **values: Any,
) -> Response:
    """A console page in the visitor's language."""
    t = i18n.translator_for(request)
    values.setdefault("console", None)
    values.setdefault("signed", None)
    values.setdefault("nav", None)
    body = render(template, t=t, lang_href=_lang_href(request), **values)
    response = html_page(
        request,
        body.encode("utf-8"),
        locale=t.locale,
        status_code=status_code,
        cache_control="no-store",
    )
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _lang_href(request: Request) -> Any:
    """``lang_href(code)`` for the language switch: this page with ``lang=code``."""
    query = {k: v for k, v in request.query_params.items() if k != "lang"}

    def href(code: str) -> str:
        return request.url.path + "?" + urlencode({**query, "lang": code})

    return href


def redirect(target: str) -> RedirectResponse:
    """303 to ``target`` (after a post, or to the sign-in page)."""
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER, headers=dict(PRIVATE))


def issuer_name(issuer: Issuer, locale: str) -> str:
    """The issuer's name in ``locale``, else in its default language, else any."""
    translations = issuer.translations or {}
    for language in (locale, issuer.default_language, *translations):
        name = (translations.get(language) or {}).get("name")
        if name:
            return str(name)
    return str(issuer.id)


def safe_next(value: str | None) -> str | None:
    """A console path to return to after sign-in, or None (no other site, no scheme)."""
    if not value or len(value) > 2048 or not value.startswith("/console"):
        return None
    if value.startswith("//") or "\\" in value or any(ord(c) < 32 for c in value):
        return None
    return value
