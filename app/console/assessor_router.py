"""The assessor workflow in the console (see :mod:`app.console.assessors`).

``/console/{issuer}/assessors`` (owners): each assessor with the modules assigned to them.
``/console/{issuer}/assess`` (assessors): their modules; ``/assess/{module}``: the module's
learners (holders of it, and the learners of the programs that count it) and the form that
records a learner's results per ResultDescription and evidence, i.e. issues the module's
credential through the API's pipeline, in the signing lane, with the assessor as
``credentialSubject.source`` and the audit actor ``staff:<user id>``. A module not assigned to
the assessor is 403, its learners included; an assessor cannot revoke (the credentials pages
need ``issuer``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.console import assessors, pages, programs_view
from app.console.access import IssuerConsole, require_role
from app.console.home_router import nav_for
from app.console.issue_router import (
    STATUSES,
    IssueForm,
    field_of,
    form_from_post,
    path_of,
    validate,
)
from app.core.context import AppContext, ContextDep
from app.core.db import SessionDep
from app.core.errors import AppError
from app.credentials import issuing
from app.models import Achievement, lengths
from app.programs.identity import InvalidIdentity, normalise_learner
from app.serving.lanes import SigningLane
from app.web import i18n

router = APIRouter(tags=["console"], include_in_schema=False)

Owner = Annotated[IssuerConsole, Depends(require_role("owner"))]
OwnerPost = Annotated[IssuerConsole, Depends(require_role("owner", change=True))]
Assessor = Annotated[IssuerConsole, Depends(require_role("assessor"))]
AssessorPost = Annotated[IssuerConsole, Depends(require_role("assessor", change=True))]

EVIDENCE_ROWS = 2
MAX_EVIDENCE_ROWS = 20
_ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")


# --- owners: who assesses what -------------------------------------------------------------


@router.get("/console/{issuer_id}/assessors", response_class=Response)
def assessors_page(request: Request, session: SessionDep, console: Owner) -> Response:
    """Each assessor with a checkbox per achievement of the issuer."""
    t = i18n.translator_for(request)
    rows = [
        (
            m,
            u,
            set(
                map(
                    str, assessors.assigned_lineages(session, console.issuer.id, m.assigned_modules)
                )
            ),
        )
        for m, u in assessors.assessors(session, console.issuer.id)
    ]
    choices = programs_view.module_choices(session, console.issuer.id)
    return pages.page(
        request,
        "console_assessors.html",
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="assessors",
        rows=rows,
        choices=choices,
        notice=request.query_params.get("notice", "")[:32],
        error=request.query_params.get("error", "")[:64],
    )


@router.post("/console/{issuer_id}/assessors/{membership_id}", response_class=Response)
async def assessors_assign(
    membership_id: uuid.UUID, request: Request, session: SessionDep, console: OwnerPost
) -> Response:
    """Set the assessor's modules (audit ``staff.modules_assigned``)."""
    form = await request.form()
    modules = [str(m) for m in form.getlist("modules")]
    back = f"/console/{console.issuer.id}/assessors"
    try:
        assessors.assign(session, console, membership_id, modules)
    except AppError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        return pages.redirect(f"{back}?{urlencode({'error': exc.code})}")
    session.commit()
    return pages.redirect(f"{back}?notice=assigned#m-{membership_id}")


# --- assessors: their modules, learners, results -------------------------------------------


@router.get("/console/{issuer_id}/assess", response_class=Response)
def assess_home(
    request: Request, session: SessionDep, context: ContextDep, console: Assessor
) -> Response:
    """The assessor's modules."""
    t = i18n.translator_for(request)
    return pages.page(
        request,
        "console_assess.html",
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="assess",
        modules=list(assessors.modules_of(session, context, console).values()),
    )


def _module_page(
    request: Request,
    session: Session,
    context: AppContext,
    console: IssuerConsole,
    module: Achievement,
    state: IssueForm,
    *,
    evidence_rows: int = EVIDENCE_ROWS,
    status_code: int = 200,
) -> Response:
    t = i18n.translator_for(request)
    search = (request.query_params.get("q") or "").strip()[:320]
    after = (request.query_params.get("after") or "").strip()[: lengths.LEARNER] or None
    own, program_ids, pursued = assessors.programs_with(session, context, console.issuer.id, module)
    query = programs_view.learners_select(console.issuer.id, pursued, program_ids)
    learners, next_after = programs_view.learners_page(session, query, after=after, search=search)
    held = programs_view.credentials_of(session, console.issuer.id, learners, pursued)
    rows = []
    for learner in learners:
        found = held.get(learner, [])
        names = [c.recipient_name for c, _ in found if c.recipient_name]
        mine = [c for c, lineage in found if lineage in own]
        rows.append((learner, names[-1] if names else "", programs_view.cell_of(mine, None, True)))
    base = f"/console/{console.issuer.id}/assess/{module.lineage_id}"
    extra = {"q": search} if search else {}
    evidence = (list(state.evidence) + [{} for _ in range(evidence_rows)])[:MAX_EVIDENCE_ROWS]
    return pages.page(
        request,
        "console_assess_module.html",
        status_code=status_code,
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="assess",
        module=module,
        rows=rows,
        total=programs_view.learners_count(session, query, search),
        search=search,
        paged=after is not None,
        first_href=f"{base}?{urlencode(extra)}" if extra else base,
        next_href=f"{base}?{urlencode({**extra, 'after': next_after})}" if next_after else None,
        state=state,
        labels=_labels(state, module, t),
        evidence=evidence,
        statuses=STATUSES,
        notice=request.query_params.get("notice", "")[:32],
        credential=request.query_params.get("credential", "")
        if _ID.match(request.query_params.get("credential", ""))
        else "",
    )


def _labels(state: IssueForm, module: Achievement, t: i18n.Translator) -> dict[str, str]:
    """The name of each field with an error (the error summary links to it)."""
    rds = module.result_description or []
    found: dict[str, str] = {}
    for key in state.errors:
        parts = key.split("-")
        if key.startswith("recipient_"):
            found[key] = t(f"console.issue.{key}")
        elif parts[0] == "res" and len(parts) == 3 and int(parts[1]) < len(rds):
            found[key] = str(rds[int(parts[1])].get("name") or key)
        elif parts[0] == "ev" and len(parts) == 3:
            found[key] = f"{t('console.issue.ev.legend', n=int(parts[1]) + 1)} · " + t(
                f"console.issue.ev.{parts[2]}"
            )
    return found


def _prefilled(
    session: Session, context: AppContext, console: IssuerConsole, module: Achievement, who: str
) -> IssueForm:
    """The empty form, with the learner filled in when the page was opened for one."""
    state = IssueForm(values={"recipient_name": "", "recipient_email": "", "recipient_did": ""})
    state.values["achievement"] = str(module.lineage_id)
    try:
        learner = normalise_learner(who) if who else ""
    except InvalidIdentity:
        learner = ""
    if learner:
        state.values["recipient_did" if learner.startswith("did:") else "recipient_email"] = learner
        pursued = assessors.programs_with(session, context, console.issuer.id, module)[2]
        found = programs_view.credentials_of(session, console.issuer.id, [learner], pursued)
        names = [c.recipient_name for c, _ in found.get(learner, []) if c.recipient_name]
        state.values["recipient_name"] = names[-1] if names else ""
    return state


@router.get("/console/{issuer_id}/assess/{lineage_id}", response_class=Response)
def assess_module(
    lineage_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    console: Assessor,
) -> Response:
    """The module's learners and the form to record a learner's results."""
    module = assessors.module_for(session, context, console, lineage_id)
    who = (request.query_params.get("learner") or "")[: lengths.LEARNER]
    state = _prefilled(session, context, console, module, who)
    return _module_page(request, session, context, console, module, state)


def _record(
    request: Request,
    session: Session,
    context: AppContext,
    console: IssuerConsole,
    lineage_id: uuid.UUID,
    form: Mapping[str, Any],
) -> Response:
    """Validate, then issue the module's credential with the assessor as its source."""
    module = assessors.module_for(session, context, console, lineage_id)
    state = form_from_post(form)
    state.values["achievement"] = str(module.lineage_id)
    if str(form.get("action") or "") == "more_ev":
        return _module_page(request, session, context, console, module, state)
    data, result_rows, evidence_rows = validate(state, module)
    if data is None:
        return _module_page(
            request, session, context, console, module, state, evidence_rows=0, status_code=422
        )
    data = data.model_copy(update={"source": assessors.source_of(console.user)})
    try:
        outcome = issuing.issue_credential(
            session, context, console.principal, data, idempotency_key=f"console:{state.once}"
        )
    except issuing.IdempotencyKeyReused:
        session.rollback()
        state.once = IssueForm().once
        state.error("recipient_email", "reused")
        return _module_page(
            request, session, context, console, module, state, evidence_rows=0, status_code=422
        )
    except AppError as exc:
        session.rollback()
        for problem in exc.errors or [{"field": exc.field or "$", "detail": exc.detail}]:
            loc = path_of(str(problem.get("field") or "$"))
            field_id = field_of(loc, result_rows, evidence_rows) if loc else "recipient_email"
            state.error(field_id, "service", str(problem.get("detail") or exc.detail))
        return _module_page(
            request, session, context, console, module, state, evidence_rows=0, status_code=422
        )
    query = urlencode({"notice": "recorded", "credential": str(outcome.credential.id)})
    return pages.redirect(f"/console/{console.issuer.id}/assess/{module.lineage_id}?{query}")


@router.post("/console/{issuer_id}/assess/{lineage_id}", response_class=Response)
async def assess_record(
    lineage_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    console: AssessorPost,
    lane: SigningLane,
) -> Response:
    """Record a learner's results and evidence: issue the module's credential."""
    form = await request.form()
    return await lane.run(_record, request, session, context, console, lineage_id, form)
