"""The learner's view (signed link): JSON API and the learner page; links issued by issuers.

A link reaches only the credentials and programs of the issuer that made it
(:mod:`app.programs.learners`).

The token never stays in a URL that gets logged, bookmarked or shared: opening the link
(``GET /learners/{token}``) checks it, puts a short-lived session token in an HttpOnly,
SameSite=Lax cookie (Secure when the base URL is https) and answers 303 to ``/learners/me``.
The page, its hide/show form and its CLR download then go by the cookie, which is sent only to
``/learners`` and ``/api/v1/learner``. The JSON API takes the link's token as
``Authorization: Bearer`` (or the cookie; ``?token=`` still works and is redacted from the
access log, :mod:`app.core.log_redaction`). The page is private to the link holder, so it is
never cached, never indexed and sends no referrer to another site (``same-origin``: its own
URL holds no token, and its form then carries its real ``Origin``).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.core.context import AppContext, ContextDep
from app.core.db import SessionDep
from app.core.errors import AppError, Unauthorized
from app.core.security import IssuerAuth
from app.programs import clr_service, learners
from app.programs.learner_page import learner_page as build_learner_page
from app.programs.links import LinkClaims
from app.programs.schemas import LearnerLink, LearnerLinkCreate, LearnerView, VisibilityChange
from app.web import i18n
from app.web.responses import html_page
from app.web.templating import make_env

router = APIRouter(tags=["learners"])
_templates = make_env(Path(__file__).parent / "templates")

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


def _check_origin(request: Request, context: AppContext) -> None:
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
        _check_origin(request, context)
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


@router.post(
    "/api/v1/learners/link", status_code=status.HTTP_201_CREATED, response_model=LearnerLink
)
def create_learner_link(
    data: LearnerLinkCreate, principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> LearnerLink:
    """A signed, expiring link for one of the issuer's learners, to this issuer's credentials
    and programs only."""
    return learners.create_link(session, context, principal.issuer_id, data)


@router.get("/api/v1/learner", response_model=LearnerView)
def get_learner_view(scope: LearnerScope, session: SessionDep, context: ContextDep) -> LearnerView:
    """The learner's credentials and program progress with the link's issuer."""
    return learners.learner_view(session, context, scope)


@router.put("/api/v1/learner/credentials/{credential_id}/visibility", status_code=204)
def set_visibility(
    credential_id: uuid.UUID,
    data: VisibilityChange,
    scope: LearnerScopeWrite,
    session: SessionDep,
) -> None:
    """Hide one of the learner's credentials from public view (its public URL then 404s)."""
    learners.set_visibility(session, scope, credential_id, hidden=data.hidden)


@router.get("/api/v1/learner/programs/{program_id}/clr", response_class=JSONResponse)
def download_clr(
    program_id: uuid.UUID,
    scope: LearnerScope,
    session: SessionDep,
    context: ContextDep,
    language: Annotated[str | None, Query(max_length=35)] = None,
) -> JSONResponse:
    """The learner's signed CLR for one of the link issuer's programs, as a download."""
    program = learners.learner_program(session, scope, program_id)
    document = clr_service.signed_clr(session, context, program, scope.learner, language)
    return JSONResponse(
        document,
        media_type="application/vc+ld+json",
        headers={
            "Content-Disposition": f'attachment; filename="clr-{program_id}.json"',
            **PRIVATE,
        },
    )


@router.get("/learners/me", response_class=Response, include_in_schema=False)
def learner_home(
    scope: PageSession, request: Request, session: SessionDep, context: ContextDep
) -> Response:
    """The learner's page, by the session cookie (no cache, no referrer to other sites, no
    token in it)."""
    view = learners.learner_view(session, context, scope)
    t = i18n.translator_for(request)
    page = build_learner_page(session, context, view, t)
    body = _templates.get_template("learner.html").render(t=t, page=page)
    response = html_page(request, body.encode("utf-8"), locale=t.locale, cache_control="no-store")
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@router.get("/learners/{token}", response_class=Response, include_in_schema=False)
def open_learner_link(token: str, request: Request, context: ContextDep) -> Response:
    """Swap the link's token for a session cookie and go to the token-free page (303)."""
    claims = learners.learner_from_token(context, token[: MAX_TOKEN + 1])
    session_token, max_age = learners.start_session(context, claims)
    lang = request.query_params.get("lang")
    target = "/learners/me" + (f"?{urlencode({'lang': lang[:35]})}" if lang else "")
    response = RedirectResponse(
        target,
        status_code=status.HTTP_303_SEE_OTHER,
        headers={**PRIVATE, "X-Robots-Tag": "noindex, nofollow"},
    )
    secure = context.settings.base_url.startswith("https://")
    for path in COOKIE_PATHS:
        response.set_cookie(
            COOKIE,
            session_token,
            max_age=max_age,
            path=path,
            secure=secure,
            httponly=True,
            samesite="lax",
        )
    return response


@router.post("/learners/me/credentials/{credential_id}/visibility", include_in_schema=False)
def learner_page_visibility(
    credential_id: uuid.UUID,
    scope: PageSession,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    hidden: Annotated[bool, Form()],
) -> RedirectResponse:
    """Form post from the page: hide or show, then back to the page."""
    _check_origin(request, context)
    learners.set_visibility(session, scope, credential_id, hidden=hidden)
    locale = i18n.translator_for(request).locale
    return RedirectResponse(
        f"/learners/me?lang={locale}#credential-{credential_id}",
        status_code=status.HTTP_303_SEE_OTHER,
        headers=PRIVATE,
    )
