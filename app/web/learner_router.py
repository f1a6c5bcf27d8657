"""The learner's page (``/learners/me``), the link that opens it, and its hide/show form.

The page is private to the link holder, so it is never cached, never indexed and sends no
referrer to another site (``same-origin``: its own URL holds no token, and its form then
carries its real ``Origin``). Opening the link swaps its token for the session cookie
(:mod:`app.learners.access`).
"""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import RedirectResponse, Response

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.learners import service as learners
from app.learners.access import COOKIE, COOKIE_PATHS, MAX_TOKEN, PRIVATE, PageSession, check_origin
from app.web import i18n
from app.web.learner_page import learner_page as build_learner_page
from app.web.responses import html_page
from app.web.templating import render

router = APIRouter(tags=["pages"])


@router.get("/learners/me", response_class=Response, include_in_schema=False)
def learner_home(
    scope: PageSession, request: Request, session: SessionDep, context: ContextDep
) -> Response:
    """The learner's page, by the session cookie (no cache, no referrer to other sites, no
    token in it)."""
    view = learners.learner_view(session, context, scope)
    t = i18n.translator_for(request)
    page = build_learner_page(session, context, view, t)
    body = render("learner.html", t=t, page=page)
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
    check_origin(request, context)
    learners.set_visibility(session, scope, credential_id, hidden=hidden)
    locale = i18n.translator_for(request).locale
    return RedirectResponse(
        f"/learners/me?lang={locale}#credential-{credential_id}",
        status_code=status.HTTP_303_SEE_OTHER,
        headers=PRIVATE,
    )
