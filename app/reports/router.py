"""Reports API (issuer key): a summary over a period, and a program's completion funnel, as
JSON or CSV. Another issuer's achievement or program named in the query is a 422 naming the
parameter (as the batch template's ``achievementId``); another issuer's program in the path
is a 404."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from app.core.db import SessionDep
from app.core.security import IssuerAuth, IssuerPrincipal
from app.reports import exports, service
from app.reports.schemas import FunnelRead, SummaryRead

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

From = Annotated[
    str | None,
    Query(
        alias="from",
        max_length=10,
        description="First UTC day (YYYY-MM-DD, included); default: 30 days before `to`.",
    ),
]
To = Annotated[
    str | None,
    Query(
        alias="to",
        max_length=10,
        description="UTC day after the last (YYYY-MM-DD, excluded); default: tomorrow. "
        f"At most {service.MAX_DAYS} days after `from`.",
    ),
]
AchievementId = Annotated[
    uuid.UUID | None,
    Query(alias="achievementId", description="Only this achievement (every version)."),
]
ProgramId = Annotated[
    uuid.UUID | None,
    Query(alias="programId", description="Only this program (its modules and its award)."),
]
CSV = "text/csv; charset=utf-8"


def _summary(
    session: Session,
    principal: IssuerPrincipal,
    start: str | None,
    end: str | None,
    achievement_id: uuid.UUID | None,
    program_id: uuid.UUID | None,
) -> service.Summary:
    period = service.parse_period(start, end)
    scope = service.scope_of(
        session, principal.issuer_id, achievement_id=achievement_id, program_id=program_id
    )
    return service.summary(session, principal.issuer_id, period, scope)


@router.get("/summary", response_model=SummaryRead)
def summary(
    principal: IssuerAuth,
    session: SessionDep,
    start: From = None,
    end: To = None,
    achievement_id: AchievementId = None,
    program_id: ProgramId = None,
) -> SummaryRead:
    """Issued, claimed, viewed, verified, shared to LinkedIn and revoked over ``[from, to)``:
    totals and one row per UTC day."""
    return SummaryRead.of(_summary(session, principal, start, end, achievement_id, program_id))


@router.get("/summary.csv", response_class=Response)
def summary_csv(
    principal: IssuerAuth,
    session: SessionDep,
    start: From = None,
    end: To = None,
    achievement_id: AchievementId = None,
    program_id: ProgramId = None,
) -> Response:
    """The summary as CSV: one row per day, then a ``total`` row."""
    report = _summary(session, principal, start, end, achievement_id, program_id)
    name = f"report-{report.period.start}-{report.period.end}.csv"
    return Response(
        exports.summary_csv(report),
        media_type=CSV,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _funnel(
    session: Session,
    principal: IssuerPrincipal,
    program_id: uuid.UUID,
    start: str | None,
    end: str | None,
) -> service.Funnel:
    period = service.parse_period(start, end) if start or end else None
    return service.funnel(session, principal.issuer_id, program_id, period)


FunnelFrom = Annotated[
    str | None,
    Query(alias="from", max_length=10, description="Only learners enrolled from this UTC day."),
]
FunnelTo = Annotated[
    str | None,
    Query(alias="to", max_length=10, description="Only learners enrolled before this UTC day."),
]


@router.get("/programs/{program_id}/funnel", response_model=FunnelRead)
def program_funnel(
    program_id: uuid.UUID,
    principal: IssuerAuth,
    session: SessionDep,
    start: FunnelFrom = None,
    end: FunnelTo = None,
) -> FunnelRead:
    """The program's learners: enrolled, holding each module, completed (optionally only
    those enrolled in ``[from, to)``)."""
    return FunnelRead.of(_funnel(session, principal, program_id, start, end))


@router.get("/programs/{program_id}/funnel.csv", response_class=Response)
def program_funnel_csv(
    program_id: uuid.UUID,
    principal: IssuerAuth,
    session: SessionDep,
    start: FunnelFrom = None,
    end: FunnelTo = None,
) -> Response:
    """The funnel as CSV: one row per stage."""
    report = _funnel(session, principal, program_id, start, end)
    return Response(
        exports.funnel_csv(report),
        media_type=CSV,
        headers={"Content-Disposition": f'attachment; filename="funnel-{program_id}.csv"'},
    )
