"""The HTML 404 page people see for a credential link that leads nowhere (missing or hidden).

API clients keep getting problem JSON; this is for requests that ask for ``text/html``. The
page says the same for a hidden credential as for one that never existed: whether a learner
hid something is not for strangers to learn.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from app.web import i18n
from app.web.responses import html_page
from app.web.templating import render


def not_found_page(request: Request) -> Response:
    """A 404 HTML page in the visitor's language (not cached: the credential may appear)."""
    t = i18n.translator_for(request)
    body = render("not_found.html", t=t).encode("utf-8")
    return html_page(request, body, locale=t.locale, status_code=404, cache_control="no-store")
