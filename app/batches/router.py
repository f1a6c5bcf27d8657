"""Issuer API of batches: template, upload (validate, dry run, queue), progress, cancel, results.

``POST /api/v1/batches`` takes either a multipart form (``file`` plus the option fields) or a
JSON body with ``rows``; the body may be as large as ``BADGES_BATCH_MAX_BYTES``. Reading and
validating runs in the thread pool; the issuing itself runs in the background
(:mod:`app.jobs`).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.batches import service
from app.batches.input import BatchLimits, Table, read_table, rows_from_json
from app.batches.schemas import (
    BatchAccepted,
    BatchCreate,
    BatchOptions,
    BatchPage,
    BatchPreview,
    BatchRead,
)
from app.batches.template import (
    Column,
    csv_cell,
    template_columns,
    template_csv,
    template_xlsx,
)
from app.core.context import AppContext, ContextDep
from app.core.db import SessionDep
from app.core.errors import Unprocessable
from app.core.security import IssuerAuth, IssuerPrincipal
from app.models import Achievement, Batch

router = APIRouter(prefix="/api/v1/batches", tags=["batches"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_OPTION_FIELDS = ("achievementId", "proof", "duplicates", "skipInvalid", "dryRun", "notify")


def _achievement(session: Session, principal: IssuerPrincipal, lineage: uuid.UUID) -> Achievement:
    return service.current_achievement(
        session, principal.issuer_id, lineage, field="query.achievementId"
    )


def _template_route(
    media_type: str, filename: str, build: Callable[[list[Column]], bytes], doc: str
) -> Callable[..., Response]:
    """The handler of one template format (CSV and XLSX differ only in how they are built)."""

    def template(
        principal: IssuerAuth,
        session: SessionDep,
        achievement_id: Annotated[uuid.UUID, Query(alias="achievementId")],
    ) -> Response:
        columns = template_columns(_achievement(session, principal, achievement_id))
        return Response(
            build(columns),
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    template.__doc__ = doc
    return template


for _suffix, _media_type, _build, _doc in (
    (
        "csv",
        "text/csv; charset=utf-8",
        template_csv,
        "The CSV template for an achievement: one header row of the columns it can take.",
    ),
    (
        "xlsx",
        XLSX,
        template_xlsx,
        "The XLSX template: the header row, and a second sheet of bilingual help per column.",
    ),
):
    router.add_api_route(
        f"/template.{_suffix}",
        _template_route(_media_type, f"batch-template.{_suffix}", _build, _doc),
        methods=["GET"],
        name=f"batch_template_{_suffix}",
        operation_id=f"batch_template_{_suffix}",
    )


def _options(fields: dict[str, Any]) -> BatchOptions:
    """The option fields of a multipart upload (strings), validated as the JSON body is."""
    values: dict[str, Any] = {}
    for name in _OPTION_FIELDS:
        value = fields.get(name)
        if value is None:
            continue
        if name in ("skipInvalid", "dryRun", "notify"):
            value = str(value).strip().lower() in ("1", "true", "yes", "on")
        values[name] = value
    try:
        return BatchOptions.model_validate(values)
    except ValidationError as exc:
        raise _invalid(exc) from None


async def _read_upload(request: Request) -> tuple[BatchOptions, bytes | None, dict[str, Any]]:
    """Options, the file's bytes (multipart) or None (JSON), and the upload's details."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=20)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Unprocessable("A multipart upload needs a `file` field.", field="file")
        unknown = sorted(set(form.keys()) - {*_OPTION_FIELDS, "file", "encoding"})
        if unknown:  # as the JSON body refuses unknown members: a typo must not be dropped
            raise Unprocessable(f"Unknown form field: {unknown[0]}.", field=unknown[0])
        options = _options({k: v for k, v in form.items() if isinstance(v, str)})
        data = await upload.read()
        details = {
            "filename": upload.filename,
            "content_type": upload.content_type,
            "encoding": form.get("encoding") if isinstance(form.get("encoding"), str) else None,
        }
        return options, data, details
    try:
        body = json.loads(await request.body())
        create = BatchCreate.model_validate(body)
    except json.JSONDecodeError as exc:
        raise Unprocessable(f"The body is not JSON: {exc.msg}.", field="$") from None
    except ValidationError as exc:
        raise _invalid(exc) from None
    return create, None, {"rows": create.rows}


def _invalid(exc: ValidationError) -> RequestValidationError:
    """The error the application's validation handler answers (422 naming every field), as
    if FastAPI had validated the body itself (it cannot: the body is JSON or a form)."""
    return RequestValidationError(
        [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
    )


def _create(
    session: Session,
    context: AppContext,
    principal: IssuerPrincipal,
    options: BatchOptions,
    data: bytes | None,
    details: dict[str, Any],
) -> Batch | BatchPreview:
    limits = BatchLimits.from_settings(context.settings)
    table: Table = (
        rows_from_json(details["rows"], limits)
        if data is None
        else read_table(
            data,
            filename=details.get("filename"),
            content_type=details.get("content_type"),
            encoding=details.get("encoding"),
            limits=limits,
        )
    )

    return service.create_from_table(
        session, context, principal, options, table, source_name=details.get("filename")
    )


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchAccepted,
    responses={200: {"model": BatchPreview, "description": "dryRun: what would be issued"}},
)
async def create_batch(
    request: Request, principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> Response:
    """Upload a cohort (CSV, XLSX or JSON rows): every row is validated before anything is
    issued; then the batch is queued (202) and issued in the background, or, with ``dryRun``,
    described (200) and nothing created."""
    options, data, details = await _read_upload(request)
    result = await run_in_threadpool(_create, session, context, principal, options, data, details)
    if isinstance(result, BatchPreview):
        return Response(result.model_dump_json(by_alias=True), media_type="application/json")
    accepted = BatchAccepted(
        id=result.id,
        state=result.state,
        total=result.total,
        skipped=result.skipped,
        url=f"/api/v1/batches/{result.id}",
    )
    return Response(
        accepted.model_dump_json(by_alias=True),
        status_code=status.HTTP_202_ACCEPTED,
        media_type="application/json",
        headers={"Location": accepted.url},
    )


@router.get("", response_model=BatchPage)
def list_batches(
    principal: IssuerAuth,
    session: SessionDep,
    context: ContextDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> BatchPage:
    """The issuer's batches, newest first."""
    rows = service.list_batches(session, principal.issuer_id, limit=limit, offset=offset)
    return BatchPage(items=[service.to_read(context, session, b) for b in rows])


@router.get("/{batch_id}", response_model=BatchRead)
def get_batch(
    batch_id: uuid.UUID, principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> BatchRead:
    """State, counts and the failed rows' errors."""
    batch = service.get_batch(session, principal.issuer_id, batch_id)
    return service.to_read(context, session, batch, errors=True)


@router.post("/{batch_id}/cancel", response_model=BatchRead)
def cancel_batch(
    batch_id: uuid.UUID, principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> BatchRead:
    """Stop issuing: rows not yet issued are cancelled (a chunk in progress completes)."""
    batch = service.cancel_batch(session, principal, batch_id)
    return service.to_read(context, session, batch, errors=True)


RESULT_COLUMNS = ("row", "rowKey", "state", "credentialId", "url", "credentialState", "error")


@router.get("/{batch_id}/results.csv")
def batch_results(
    batch_id: uuid.UUID, principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> Response:
    """One line per row: its state and its credential's id, URL and current state."""
    batch = service.get_batch(session, principal.issuer_id, batch_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RESULT_COLUMNS)
    for row in service.result_rows(session, batch, context.settings.base_url):
        writer.writerow([csv_cell(str(row[name])) for name in RESULT_COLUMNS])
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="batch-{batch.id}-results.csv"'},
    )
