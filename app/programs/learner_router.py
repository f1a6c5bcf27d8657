"""The learner's view (signed link): JSON API and the learner page; links issued by issuers.

The page uses the site's base template, stylesheet, language switch and catalogues
(:mod:`app.web`); it is private to the link holder, so it is never cached, never indexed and
never sends the link (which carries the token) as a referrer.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.security import IssuerAuth
from app.programs import clr_service, learners
from app.programs.learner_page import learner_page as build_learner_page
from app.programs.schemas import LearnerLink, LearnerLinkCreate, LearnerView, VisibilityChange
from app.web import i18n
from app.web.responses import html_page
from app.web.templating import make_env

router = APIRouter(tags=["learners"])
_templates = make_env(Path(__file__).parent / "templates")
Token = Annotated[str, Query(min_length=10, max_length=4096)]


@router.post(
    "/api/v1/learners/link", status_code=status.HTTP_201_CREATED, response_model=LearnerLink
)
def create_learner_link(
    data: LearnerLinkCreate, principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> LearnerLink:
    """A signed, expiring link for one of the issuer's learners."""
    return learners.create_link(session, context, principal.issuer_id, data)


@router.get("/api/v1/learner", response_model=LearnerView)
def get_learner_view(token: Token, session: SessionDep, context: ContextDep) -> LearnerView:
    """The learner's credentials and program progress."""
    learner = learners.learner_from_token(context, token)
    return learners.learner_view(session, context, learner)


@router.put("/api/v1/learner/credentials/{credential_id}/visibility", status_code=204)
def set_visibility(
    credential_id: uuid.UUID,
    data: VisibilityChange,
    token: Token,
    session: SessionDep,
    context: ContextDep,
) -> None:
    """Hide one of the learner's credentials from public view (its public URL then 404s)."""
    learner = learners.learner_from_token(context, token)
    learners.set_visibility(session, learner, credential_id, hidden=data.hidden)


@router.get("/api/v1/learner/programs/{program_id}/clr", response_class=JSONResponse)
def download_clr(
    program_id: uuid.UUID,
    token: Token,
    session: SessionDep,
    context: ContextDep,
    language: Annotated[str | None, Query(max_length=35)] = None,
) -> JSONResponse:
    """The learner's signed CLR for one program, as a download."""
    learner = learners.learner_from_token(context, token)
    program = learners.learner_program(session, learner, program_id)
    document = clr_service.signed_clr(session, context, program, learner, language)
    return JSONResponse(
        document,
        media_type="application/vc+ld+json",
        headers={"Content-Disposition": f'attachment; filename="clr-{program_id}.json"'},
    )


@router.get("/learners/{token}", response_class=Response, include_in_schema=False)
def learner_page(
    token: str, request: Request, session: SessionDep, context: ContextDep
) -> Response:
    """The learner's page (no cache, no referrer: it is private to the link holder)."""
    learner = learners.learner_from_token(context, token)
    view = learners.learner_view(session, context, learner)
    t = i18n.translator_for(request)
    page = build_learner_page(session, context, view, token, t)
    body = _templates.get_template("learner.html").render(t=t, page=page, token=token)
    response = html_page(request, body.encode("utf-8"), locale=t.locale, cache_control="no-store")
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@router.post("/learners/{token}/credentials/{credential_id}/visibility", include_in_schema=False)
def learner_page_visibility(
    token: str,
    credential_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    hidden: Annotated[bool, Form()],
) -> RedirectResponse:
    """Form post from the page: hide or show, then back to the page."""
    learner = learners.learner_from_token(context, token)
    learners.set_visibility(session, learner, credential_id, hidden=hidden)
    locale = i18n.translator_for(request).locale
    return RedirectResponse(
        f"/learners/{token}?lang={locale}#credential-{credential_id}",
        status_code=status.HTTP_303_SEE_OTHER,
        headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"},
    )
