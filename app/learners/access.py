"""How a request proves it is the learner: the link's token, or the learner page's cookie.

The token never stays in a URL that gets logged, bookmarked or shared: opening the link
(``GET /learners/{token}``, :mod:`app.web.learner_router`) checks it, puts a short-lived session
token in an HttpOnly, SameSite=Lax cookie (Secure when the base URL is https) and answers 303
to ``/learners/me``. The page, its hide/show form and its CLR download then go by the cookie,
which is sent only to ``/learners`` and ``/api/v1/learner``. The JSON API takes the link's token
as ``Authorization: Bearer`` (or the cookie; ``?token=`` still works and is redacted from the
access log, :mod:`app.core.log_redaction`).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Query, Request

from app.core.context import AppContext, ContextDep
from app.core.errors import AppError, Unauthorized
from app.learners import service as learners
from app.learners.links import LinkClaims

COOKIE = "learner_session"
COOKIE_PATHS = ("/learners", "/api/v1/learner")
"""Where the browser sends the session cookie: the page and the learner API, nothing else
(``/api/v1/learner`` does not path-match ``/api/v1/learners/link``, RFC 6265 §5.1.4)."""
MAX_TOKEN = 4096
PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}

Token = Annotated[
    str | None,
    Query(
        min_length=10,
        max_length=MAX_TOKEN,
        description="The link's token; prefer `Authorization: Bearer` (kept out of URLs).",
    ),
]


class CrossOriginRefused(AppError):
    """A cookie-authorised change that came from another site's page (CSRF)."""

    status, title, code = 403, "Forbidden", "cross_origin"


def _origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` as a browser's ``Origin`` header spells it: lower
    case, without the scheme's default port (a base URL may be written otherwise)."""
    parts = urlsplit(url)
    scheme, host, port = parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def check_origin(request: Request, context: AppContext) -> None:
    """Refuse a cookie-authorised change that another page (origin) made the browser send.

    SameSite=Lax already keeps the cookie off cross-site posts; this also covers a sibling
    sub-domain (same site, other origin). ``Sec-Fetch-Site`` (Fetch Metadata) must then be
    ``same-origin`` (or ``none``: typed by the user) when the browser sends it, and an
    ``Origin`` must be this service's. ``Origin: null`` (an opaque origin: a sandboxed frame, a
    ``data:`` document, a cross-origin redirect, a ``no-referrer`` page anywhere) proves
    nothing by itself, so it passes only with ``Sec-Fetch-Site: same-origin``; the learner
    page's ``same-origin`` referrer policy makes browsers send its real origin anyway.
    Requests with neither header (not from a browser page) pass: they cannot carry the
    learner's cookie without the learner's browser.
    """
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    if (
        (site is not None and site not in ("same-origin", "none"))
        or (origin == "null" and site != "same-origin")
        or (origin not in (None, "null", _origin_of(context.settings.base_url)))
    ):
        raise CrossOriginRefused("This change must come from the learner page itself.")


def _scope(request: Request, context: AppContext, token: str | None, *, write: bool) -> LinkClaims:
    """The link's scope from a bearer token, ``?token=``, or else the session cookie; 401."""
    scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
    link = bearer.strip() if scheme.lower() == "bearer" and bearer.strip() else token
    if link is not None:
        if len(link) > MAX_TOKEN:
            raise learners.InvalidLearnerLink()
        return learners.learner_from_token(context, link)
    cookie = request.cookies.get(COOKIE)
    if cookie is None:
        raise Unauthorized(
            "A learner link token (Authorization: Bearer) or the learner page's cookie is required."
        )
    if write:
        check_origin(request, context)
    return learners.learner_from_session(context, cookie)


async def learner_scope(request: Request, context: ContextDep, token: Token = None) -> LinkClaims:
    """Read access for the holder of a link (token or session cookie)."""
    return _scope(request, context, token, write=False)


async def learner_scope_write(
    request: Request, context: ContextDep, token: Token = None
) -> LinkClaims:
    """Write access for the holder of a link; a cookie must come from this origin."""
    return _scope(request, context, token, write=True)


async def page_session(request: Request, context: ContextDep) -> LinkClaims:
    """The learner page's session (the cookie only), or 401 before anything else is read."""
    return learners.learner_from_session(context, request.cookies.get(COOKIE))


LearnerScope = Annotated[LinkClaims, Depends(learner_scope)]
LearnerScopeWrite = Annotated[LinkClaims, Depends(learner_scope_write)]
PageSession = Annotated[LinkClaims, Depends(page_session)]
