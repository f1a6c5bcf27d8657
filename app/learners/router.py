"""The learner's JSON API (signed link), and the link an issuer asks for.

A link reaches only the credentials and programs of the issuer that made it
(:mod:`app.learners.service`); how a request proves it holds one is :mod:`app.learners.access`.
The learner's HTML page is :mod:`app.web.learner_router`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.security import IssuerAuth
from app.learners import service as learners
from app.learners.access import PRIVATE, LearnerScope, LearnerScopeWrite
from app.learners.schemas import LearnerLink, LearnerLinkCreate, LearnerView, VisibilityChange
from app.programs import clr_service

router = APIRouter(tags=["learners"])


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
