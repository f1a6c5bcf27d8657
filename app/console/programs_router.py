"""Programs in the console: list, create, one program with its modules, rule and the
learners' progress matrix (paged, searchable, CSV), and "evaluate now" for a learner.

Reading: ``owner``, ``issuer``, ``viewer``. Creating and evaluating: ``owner`` and ``issuer``
(an assessor or a viewer gets the 403 page). Both go through :mod:`app.programs.service`, with
the staff member's :class:`~app.core.security.IssuerPrincipal` actor (``staff:<user id>``) in
the audit log, exactly as ``POST /api/v1/programs`` and ``…/evaluate``. Another issuer's
program is 404, as in the API.
"""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.console import pages, programs_view
from app.console.access import IssuerConsole, require_role
from app.console.home_router import nav_for
from app.core.context import AppContext, ContextDep
from app.core.db import SessionDep
from app.core.errors import AppError
from app.models import lengths
from app.programs import service as programs
from app.web import i18n

router = APIRouter(tags=["console"], include_in_schema=False)

Reader = Annotated[IssuerConsole, Depends(require_role("viewer"))]
Issuer = Annotated[IssuerConsole, Depends(require_role("issuer"))]
IssuerPost = Annotated[IssuerConsole, Depends(require_role("issuer", change=True))]

NOTICES = frozenset({"created", "awarded", "evaluated", "not_due"})


def _base(console: IssuerConsole) -> str:
    return f"/console/{console.issuer.id}/programs"


@router.get("/console/{issuer_id}/programs", response_class=Response)
def programs_list(request: Request, session: SessionDep, console: Reader) -> Response:
    """The issuer's programs with their modules' count."""
    t = i18n.translator_for(request)
    rows = [
        (p, programs_view.program_name(p, t.locale), len(programs.module_lineages(session, p)))
        for p in programs.list_programs(session, console.issuer.id)
    ]
    return pages.page(
        request,
        "console_programs.html",
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="programs",
        rows=rows,
        can_change=console.allows("issuer"),
    )


def _form_page(
    request: Request,
    session: Session,
    console: IssuerConsole,
    state: programs_view.ProgramForm,
    *,
    status_code: int = 200,
) -> Response:
    t = i18n.translator_for(request)
    return pages.page(
        request,
        "console_program_form.html",
        status_code=status_code,
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="programs",
        state=state,
        choices=programs_view.module_choices(session, console.issuer.id),
        languages=programs_view.LANGUAGES,
    )


@router.get("/console/{issuer_id}/programs/new", response_class=Response)
def program_new(request: Request, session: SessionDep, console: Issuer) -> Response:
    """The create form."""
    t = i18n.translator_for(request)
    state = programs_view.ProgramForm(values=dict.fromkeys(programs_view.FORM_FIELDS, ""))
    state.values.update(
        kind="all",
        on_module_revoked="flag",
        achievement_type="LearningProgram",
        default_language=t.locale if t.locale in programs_view.LANGUAGES else "en",
    )
    return _form_page(request, session, console, state)


@router.post("/console/{issuer_id}/programs/new", response_class=Response)
async def program_create(
    request: Request, session: SessionDep, context: ContextDep, console: IssuerPost
) -> Response:
    """Create the program through the API's service, or show the form again with errors."""
    form = await request.form()
    modules = [str(m) for m in form.getlist("modules")]
    state = programs_view.form_from_post(form, modules)
    data = programs_view.validate(state)
    if data is None:
        return _form_page(request, session, console, state, status_code=422)
    try:
        program = programs.create_program(
            session, context, console.issuer.id, data, actor=console.principal.actor
        )
    except AppError as exc:
        session.rollback()
        state.errors[programs_view.service_field(exc.field)] = exc.detail
        return _form_page(request, session, console, state, status_code=422)
    return pages.redirect(f"{_base(console)}/{program.id}?notice=created")


@router.get("/console/{issuer_id}/programs/{program_id}", response_class=Response)
def program_detail(
    program_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    console: Reader,
) -> Response:
    """The program: modules, rule, and a page of the learners' progress matrix."""
    t = i18n.translator_for(request)
    program = programs.get_program(session, console.issuer.id, program_id)
    search = (request.query_params.get("q") or "").strip()[:320]
    after = (request.query_params.get("after") or "").strip()[: lengths.LEARNER] or None
    found = programs_view.matrix(session, context, program, after=after, search=search)
    base = f"{_base(console)}/{program.id}"
    query = {"q": search} if search else {}
    notice = request.query_params.get("notice", "")
    return pages.page(
        request,
        "console_program.html",
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="programs",
        program=program,
        program_title=programs_view.program_name(program, t.locale),
        description=(program.translations.get(t.locale) or {}).get("description")
        or (program.translations.get(program.default_language) or {}).get("description", ""),
        rule=programs_view.rule_text(program),
        matrix=found,
        search=search,
        paged=after is not None,
        first_href=f"{base}?{urlencode(query)}" if query else base,
        next_href=f"{base}?{urlencode({**query, 'after': found.after})}" if found.after else None,
        csv_href=f"{base}/matrix.csv",
        can_change=console.allows("issuer"),
        notice=notice if notice in NOTICES else "",
        learner=request.query_params.get("learner", "")[: lengths.LEARNER],
        error=request.query_params.get("error", "")[:64],
    )


@router.get("/console/{issuer_id}/programs/{program_id}/matrix.csv", response_class=Response)
def program_matrix_csv(
    program_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    console: Reader,
) -> Response:
    """The whole matrix as CSV (cells a spreadsheet would run are quoted)."""
    t = i18n.translator_for(request)
    program = programs.get_program(session, console.issuer.id, program_id)
    labels = {
        key: t(f"console.programs.csv.{key}")
        for key in ("learner", "name", "counted", "completed", "awarded", "yes", "no")
    }
    labels.update(
        {f"state.{s}": t(f"console.programs.cell.{s}") for s in programs_view.CELL_STATES}
    )
    body = programs_view.matrix_csv(session, context, program, labels)
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            **pages.PRIVATE,
            "Content-Disposition": f'attachment; filename="program-{program.id}-progress.csv"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def _evaluate(
    session: Session, context: AppContext, console: IssuerConsole, program_id: uuid.UUID, who: str
) -> tuple[str, str]:
    program = programs.get_program(session, console.issuer.id, program_id)
    try:
        learner = programs.parse_learner(who)
    except AppError:
        return "", "learner"
    progress = programs.evaluate_learner(
        session, context, program, learner, actor=console.principal.actor
    )
    if progress.awarded:
        return learner, "awarded"
    return learner, "evaluated" if progress.rule_satisfied else "not_due"


@router.post("/console/{issuer_id}/programs/{program_id}/evaluate", response_class=Response)
def program_evaluate(
    program_id: uuid.UUID,
    session: SessionDep,
    context: ContextDep,
    console: IssuerPost,
    learner: Annotated[str, Form(max_length=lengths.LEARNER)] = "",
) -> Response:
    """Re-evaluate one learner now and award the program if it is due (exactly once)."""
    back = f"{_base(console)}/{program_id}"
    found, outcome = _evaluate(session, context, console, program_id, learner)
    if not found:
        return pages.redirect(f"{back}?{urlencode({'error': outcome})}#evaluate")
    return pages.redirect(f"{back}?{urlencode({'notice': outcome, 'learner': found})}#evaluate")
