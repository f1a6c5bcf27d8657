"""The cohort upload wizard and the batches list of an issuer in the console.

Steps: choose the achievement → download its template (CSV or XLSX) → upload the filled file →
check (every row validated, nothing written: per-row problems by row and column, a preview of
the first rows and the counts) → issue (the batch is created and queued) → live progress →
results (CSV, and a link to each credential). :mod:`app.console.batches_view` says how each step
uses the API's batch service.

Reading (list, one batch, its progress and results): ``owner``, ``issuer``, ``viewer``. The
wizard and cancelling: ``owner`` and ``issuer`` (a viewer or an assessor gets the 403 page).
Another issuer's batch is 404, as in the API.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from app.batches import router as batches_api
from app.batches import service as batches_service
from app.batches.schemas import BatchOptions
from app.batches.service import BatchFinished
from app.batches.template import template_columns, template_csv, template_xlsx
from app.console import batches_view, pages
from app.console.access import IssuerConsole, require_role
from app.console.home_router import nav_for
from app.core.context import ContextDep
from app.core.db import READ_ONLY, SessionDep
from app.core.errors import AppError, NotFound, Unprocessable
from app.web import i18n

router = APIRouter(tags=["console"], include_in_schema=False)


def _read_only(session: SessionDep) -> Session:
    """The request's session as a read (SQLite: no write lock), so the pages and the progress
    poll never queue behind the job runner's chunks. Declared before the console dependency,
    it begins the transaction that dependency's reads then use."""
    session.connection(execution_options=READ_ONLY)
    return session


ReadSession = Annotated[Session, Depends(_read_only)]
Reader = Annotated[IssuerConsole, Depends(require_role("viewer"))]
Issuer = Annotated[IssuerConsole, Depends(require_role("issuer"))]
IssuerPost = Annotated[IssuerConsole, Depends(require_role("issuer", change=True))]

NOTICES = ("queued", "cancelled")
ERRORS = ("expired", "finished", "achievement")


def _page(request: Request, template: str, console: IssuerConsole, **values: Any) -> Response:
    t = i18n.translator_for(request)
    return pages.page(
        request,
        template,
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="batches",
        **values,
    )


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page") or "1"
    return min(max(int(raw), 1), 100_000) if raw.isdigit() and len(raw) < 7 else 1


def _base(console: IssuerConsole) -> str:
    return f"/console/{console.issuer.id}/batches"


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


# --- the list -------------------------------------------------------------------------------


@router.get("/console/{issuer_id}/batches", response_class=Response)
def batches_list(request: Request, session: ReadSession, console: Reader) -> Response:
    """The issuer's batches, newest first, a page at a time."""
    page = _page_number(request)
    total = batches_view.count_batches(session, console.issuer.id)
    pages_count = max((total + batches_view.PAGE_SIZE - 1) // batches_view.PAGE_SIZE, 1)
    rows = batches_view.listing(session, console.issuer.id, min(page, pages_count))
    base = _base(console)
    return _page(
        request,
        "console_batches.html",
        console,
        rows=rows,
        total=total,
        page=min(page, pages_count),
        pages_count=pages_count,
        newer_href=f"{base}?page={page - 1}" if page > 1 else None,
        older_href=f"{base}?page={page + 1}" if page < pages_count else None,
        can_issue=console.allows("issuer"),
    )


# --- the wizard -----------------------------------------------------------------------------


@router.get("/console/{issuer_id}/batches/new", response_class=Response)
def batch_new(request: Request, session: ReadSession, console: Issuer) -> Response:
    """Step 1: choose the achievement; step 2: its template and the upload form."""
    choices = batches_view.achievement_choices(session, console.issuer.id)
    chosen_id = _uuid(request.query_params.get("achievement"))
    chosen = next((a for a in choices if a.lineage_id == chosen_id), None)
    error = request.query_params.get("error", "")
    return _page(
        request,
        "console_batch_new.html",
        console,
        choices=choices,
        chosen=chosen,
        error=error if error in ERRORS else "",
        max_bytes=request.app.state.settings.batch_max_bytes,
        max_rows=request.app.state.settings.batch_max_rows,
    )


def _template(
    session: Session, console: IssuerConsole, achievement: str | None, suffix: str
) -> Response:
    lineage = _uuid(achievement)
    if lineage is None:
        raise Unprocessable("Choose an achievement.", field="achievement")
    found = batches_service.current_achievement(
        session, console.issuer.id, lineage, field="achievement"
    )
    columns = template_columns(found)
    body, media_type = (
        (template_csv(columns), "text/csv; charset=utf-8")
        if suffix == "csv"
        else (template_xlsx(columns), batches_api.XLSX)
    )
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="batch-template.{suffix}"',
            **pages.PRIVATE,
        },
    )


@router.get("/console/{issuer_id}/batches/template.csv", response_class=Response)
def batch_template_csv(request: Request, session: ReadSession, console: Issuer) -> Response:
    """The achievement's CSV template (the API's template)."""
    return _template(session, console, request.query_params.get("achievement"), "csv")


@router.get("/console/{issuer_id}/batches/template.xlsx", response_class=Response)
def batch_template_xlsx(request: Request, session: ReadSession, console: Issuer) -> Response:
    """The achievement's XLSX template, with its bilingual help sheet."""
    return _template(session, console, request.query_params.get("achievement"), "xlsx")


def _check_page(
    request: Request,
    session: Session,
    context: ContextDep,
    console: IssuerConsole,
    upload: batches_view.Upload,
    *,
    refused: bool = False,
) -> Response:
    checked = batches_view.check(session, context, console, upload)
    achievement = batches_service.current_achievement(
        session, console.issuer.id, upload.achievement_id
    )
    return _page(
        request,
        "console_batch_check.html",
        console,
        upload=upload,
        achievement=achievement,
        checked=checked,
        shown=checked.problems[: batches_view.ERRORS_SHOWN],
        refused=refused,
    )


@router.post("/console/{issuer_id}/batches/upload", response_class=Response)
def batch_upload(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    console: IssuerPost,
    file: Annotated[UploadFile | None, File()] = None,
    achievement: Annotated[str, Form(max_length=64)] = "",
    duplicates: Annotated[str, Form(max_length=16)] = "skip",
    notify: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Step 3: check the file (nothing is issued) and show its problems and a preview."""
    lineage = _uuid(achievement)
    choices = {a.lineage_id for a in batches_view.achievement_choices(session, console.issuer.id)}
    if lineage is None or lineage not in choices:
        return pages.redirect(f"{_base(console)}/new?error=achievement")
    if file is None or not file.filename:
        return pages.redirect(f"{_base(console)}/new?{urlencode({'achievement': str(lineage)})}")
    limit = context.settings.batch_max_bytes
    data = file.file.read(limit + 1)  # the body limit stopped anything much larger already
    options = BatchOptions(
        achievement_id=lineage,
        duplicates=duplicates if duplicates in batches_view.DUPLICATES else "skip",
        notify=notify == "1",
        dry_run=True,
    )
    filename = batches_view.clean_filename(file.filename)
    token = batches_view.keep_upload(context, console, options, data, filename, file.content_type)
    upload = batches_view.open_upload(context, console, token)
    assert upload is not None
    return _check_page(request, session, context, console, upload)


@router.post("/console/{issuer_id}/batches/issue", response_class=Response)
def batch_issue(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    console: IssuerPost,
    upload: Annotated[str, Form(max_length=64)] = "",
    skip_invalid: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Step 4: create the batch from the checked file; then its page shows the progress."""
    kept = batches_view.open_upload(context, console, upload)
    if kept is None:
        return pages.redirect(f"{_base(console)}/new?error=expired")
    try:
        batch = batches_view.issue(
            session, context, console, kept, skip_invalid=skip_invalid == "1"
        )
    except NotFound:
        raise
    except AppError:
        session.rollback()  # e.g. some learners were issued meanwhile: show the check again
        return _check_page(request, session, context, console, kept, refused=True)
    batches_view.drop_upload(context, kept.token)
    return pages.redirect(f"{_base(console)}/{batch.id}?notice=queued")


# --- one batch ------------------------------------------------------------------------------


@router.get("/console/{issuer_id}/batches/{batch_id}", response_class=Response)
def batch_detail(
    batch_id: uuid.UUID,
    request: Request,
    session: ReadSession,
    context: ContextDep,
    console: Reader,
) -> Response:
    """Counts and a progress bar (updated by a small script), the results, cancel."""
    listed = batches_view.one(session, console, batch_id)
    page = _page_number(request)
    finished = listed.batch.state not in batches_view.ACTIVE  # the rows are listed once done
    results, pages_count = (
        batches_view.results_page(session, context, listed.batch, page) if finished else ([], 1)
    )
    page = min(page, pages_count)
    base = f"{_base(console)}/{batch_id}"
    notice = request.query_params.get("notice", "")
    error = request.query_params.get("error", "")
    return _page(
        request,
        "console_batch.html",
        console,
        listed=listed,
        progress=batches_view.progress(listed),
        results=results,
        page=page,
        pages_count=pages_count,
        newer_href=f"{base}?page={page - 1}" if page > 1 else None,
        older_href=f"{base}?page={page + 1}" if page < pages_count else None,
        can_cancel=console.allows("issuer") and listed.batch.state in batches_view.ACTIVE,
        notice=notice if notice in NOTICES else "",
        error=error if error in ERRORS else "",
    )


@router.get("/console/{issuer_id}/batches/{batch_id}/progress.json", response_class=Response)
def batch_progress(batch_id: uuid.UUID, session: ReadSession, console: Reader) -> Response:
    """The counts, for the progress script (this session's cookie; never cached)."""
    listed = batches_view.one(session, console, batch_id)
    return JSONResponse(batches_view.progress(listed), headers=dict(pages.PRIVATE))


@router.get("/console/{issuer_id}/batches/{batch_id}/results.csv", response_class=Response)
def batch_results(
    batch_id: uuid.UUID, session: ReadSession, context: ContextDep, console: Reader
) -> Response:
    """The API's results CSV: one line per row, its state and its credential."""
    response = batches_api.batch_results(batch_id, console.principal, session, context)
    response.headers.update(pages.PRIVATE)
    return response


@router.post("/console/{issuer_id}/batches/{batch_id}/cancel", response_class=Response)
def batch_cancel(batch_id: uuid.UUID, session: SessionDep, console: IssuerPost) -> Response:
    """Stop a queued or running batch: the rows not yet issued are cancelled."""
    base = f"{_base(console)}/{batch_id}"
    try:
        batches_view.cancel(session, console, batch_id)
    except BatchFinished:
        session.rollback()
        return pages.redirect(f"{base}?error=finished")
    return pages.redirect(f"{base}?notice=cancelled")
