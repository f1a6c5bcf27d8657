"""``GET /``: what this service is, in the visitor's language, and where to go from here.

Three ways in: verify a credential (``/verify``), the API documentation (``/docs``), and the
issuers' public profiles (``/issuers/{id}``, the Profile documents verifiers read). The
language follows the pages' usual choice (``?lang=``, cookie, ``Accept-Language``); issuer names
are shown in that language when the issuer gave one.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.core.db import SessionDep
from app.issuers import service as issuers
from app.models import Issuer
from app.web import i18n
from app.web.responses import etag_for, html_page
from app.web.templating import render

router = APIRouter(tags=["pages"])

MAX_ISSUERS = 100
"""The page lists at most this many issuers (the admin API lists them all)."""


@dataclass(frozen=True, slots=True)
class IssuerLink:
    """An issuer as the page lists it."""

    name: str
    url: str
    lang: str | None
    """The language of ``name`` when it differs from the page's (for ``lang=``)."""


def _name_in(issuer: Issuer, locale: str) -> tuple[str, str | None]:
    """The issuer's name in the page's language, else in its default language (tagged)."""
    for tag, texts in issuer.translations.items():
        if i18n.match_locale(tag) == locale and texts.get("name"):
            return str(texts["name"]), None
    return issuer.name, issuer.default_language


@router.get("/", response_class=Response, include_in_schema=False)
def home(request: Request, session: SessionDep) -> Response:
    """The landing page (HTML)."""
    t = i18n.translator_for(request)
    rows = issuers.list_issuers(session, limit=MAX_ISSUERS + 1)
    links = []
    for row in rows[:MAX_ISSUERS]:
        name, lang = _name_in(row, t.locale)
        links.append(IssuerLink(name=name, url=f"/issuers/{row.id}", lang=lang))
    links.sort(key=lambda link: link.name.casefold())
    body = render("home.html", t=t, issuers=links, more=len(rows) > MAX_ISSUERS).encode("utf-8")
    return html_page(request, body, locale=t.locale, etag=etag_for(body))
