"""Program API (issuer key): programs, learner progress, re-evaluation, CLR download."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, status
from fastapi.responses import JSONResponse

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.security import IssuerAuth
from app.models import lengths
from app.programs import clr_service, service
from app.programs.schemas import LearnerProgress, ProgramCreate, ProgramRead

router = APIRouter(prefix="/api/v1/programs", tags=["programs"])

Learner = Annotated[
    str, Path(max_length=lengths.LEARNER, description="The learner's e-mail address or DID.")
]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProgramRead)
def create_program(
    data: ProgramCreate, principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> ProgramRead:
    """Create a program of module achievements with a completion rule."""
    program = service.create_program(
        session, context, principal.issuer_id, data, actor=principal.actor
    )
    return service.to_read(session, context, program)


@router.get("", response_model=list[ProgramRead])
def list_programs(
    principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> list[ProgramRead]:
    """The issuer's programs."""
    return [
        service.to_read(session, context, p)
        for p in service.list_programs(session, principal.issuer_id)
    ]


@router.get("/{program_id}", response_model=ProgramRead)
def get_program(
    program_id: uuid.UUID, principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> ProgramRead:
    """One program."""
    program = service.get_program(session, principal.issuer_id, program_id)
    return service.to_read(session, context, program)


@router.get("/{program_id}/learners/{learner}", response_model=LearnerProgress)
def get_learner_progress(
    program_id: uuid.UUID,
    learner: Learner,
    principal: IssuerAuth,
    session: SessionDep,
    context: ContextDep,
) -> LearnerProgress:
    """A learner's progress (by e-mail or DID): modules earned, rule, award."""
    program = service.get_program(session, principal.issuer_id, program_id)
    return service.learner_progress(session, context, program, service.parse_learner(learner))


@router.post("/{program_id}/learners/{learner}/evaluate", response_model=LearnerProgress)
def evaluate_learner(
    program_id: uuid.UUID,
    learner: Learner,
    principal: IssuerAuth,
    session: SessionDep,
    context: ContextDep,
) -> LearnerProgress:
    """Re-evaluate the rule now and award the program if it is due (exactly once)."""
    program = service.get_program(session, principal.issuer_id, program_id)
    return service.evaluate_learner(
        session, context, program, service.parse_learner(learner), actor=principal.actor
    )


@router.get("/{program_id}/learners/{learner}/clr", response_class=JSONResponse)
def get_clr(
    program_id: uuid.UUID,
    learner: Learner,
    principal: IssuerAuth,
    session: SessionDep,
    context: ContextDep,
) -> JSONResponse:
    """The learner's signed CLR 2.0 ClrCredential for this program."""
    program = service.get_program(session, principal.issuer_id, program_id)
    document = clr_service.signed_clr(session, context, program, service.parse_learner(learner))
    return JSONResponse(document, media_type="application/vc+ld+json")
