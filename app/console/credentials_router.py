"""Credentials of an issuer in the console: list, one credential, revoke / suspend / unsuspend.

Reading: ``owner``, ``issuer``, ``viewer``. Changing a status: ``owner`` and ``issuer`` (a
viewer or an assessor gets the 403 page). Another issuer's credential is 404, as in the API.
"""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from app.console import credentials_view, pages
from app.console.access import IssuerConsole, require_role
from app.console.home_router import nav_for
from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.errors import AppError, BadRequest, NotFound
from app.web import i18n

router = APIRouter(tags=["console"], include_in_schema=False)

Reader = Annotated[IssuerConsole, Depends(require_role("viewer"))]
IssuerPost = Annotated[IssuerConsole, Depends(require_role("issuer", change=True))]


@router.get("/console/{issuer_id}/credentials", response_class=Response)
def credentials_list(request: Request, session: SessionDep, console: Reader) -> Response:
    """The issuer's credentials, newest first: search by name, e-mail, achievement, state,
    issue date and batch; check some and revoke, suspend or unsuspend them together."""
    t = i18n.translator_for(request)
    search = credentials_view.parse_search(request.query_params)
    cursor = request.query_params.get("cursor") or None
    rows, next_cursor = credentials_view.listing(
        session, console.issuer.id, search.filters, cursor=cursor
    )
    base = f"/console/{console.issuer.id}/credentials"
    return pages.page(
        request,
        "console_credentials.html",
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="credentials",
        rows=rows,
        search=search.query,
        invalid=search.invalid,
        back=urlencode(search.query),
        achievements=credentials_view.achievement_choices(session, console.issuer.id),
        states=credentials_view.STATES,
        can_change=console.allows("issuer"),
        bulk_max=credentials_view.BULK_MAX,
        next_href=(
            f"{base}?{urlencode({**search.query, 'cursor': next_cursor})}" if next_cursor else None
        ),
    )


@router.post("/console/{issuer_id}/credentials/bulk", response_class=Response)
def credentials_bulk(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    console: IssuerPost,
    credential: Annotated[list[str] | None, Form()] = None,
    action: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Revoke, suspend or unsuspend the checked credentials with one reason, through the API's
    bulk service; the page lists what happened to each."""
    t = i18n.translator_for(request)
    list_href = f"/console/{console.issuer.id}/credentials"
    kept = {k: v for k, v in parse_qsl(back) if k in credentials_view.SEARCH_FIELDS}
    if kept:
        list_href += f"?{urlencode(kept)}"
    wanted: list[uuid.UUID] = []
    for value in credential or []:
        try:
            wanted.append(uuid.UUID(value))
        except ValueError:
            raise BadRequest("A credential id is not valid.", field="credential") from None
    problem = None
    if action not in credentials_view.KINDS:
        problem = "choose_action"
    elif not wanted:
        problem = "choose_credentials"
    elif len(wanted) > credentials_view.BULK_MAX:
        problem = "too_many"
    result = None
    if problem is None:
        result = credentials_view.change_many(session, context, console, wanted, action, reason)
    return pages.page(
        request,
        "console_credentials_bulk.html",
        status_code=200 if problem is None else 422,
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="credentials",
        problem=problem,
        result=result,
        bulk_max=credentials_view.BULK_MAX,
        list_href=list_href,
    )


@router.get("/console/{issuer_id}/credentials/{credential_id}", response_class=Response)
def credential_detail(
    credential_id: uuid.UUID, request: Request, session: SessionDep, console: Reader
) -> Response:
    """One credential, with the status form for roles that may change it."""
    t = i18n.translator_for(request)
    row, suspendable = credentials_view.one(session, console, credential_id)
    return pages.page(
        request,
        "console_credential.html",
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="credentials",
        row=row,
        suspendable=suspendable,
        can_change=console.allows("issuer"),
        notice=request.query_params.get("notice", ""),
        error=request.query_params.get("error", ""),
    )


@router.post("/console/{issuer_id}/credentials/{credential_id}/status", response_class=Response)
def credential_status(
    credential_id: uuid.UUID,
    session: SessionDep,
    context: ContextDep,
    console: IssuerPost,
    action: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Revoke, suspend or unsuspend with a reason, through the API's own service."""
    if action not in credentials_view.KINDS:
        raise BadRequest("Choose revoke, suspend or unsuspend.", field="action")
    back = f"/console/{console.issuer.id}/credentials/{credential_id}"
    try:
        credentials_view.change(session, context, console, credential_id, action, reason)
    except NotFound:
        raise
    except AppError as exc:
        session.rollback()
        return pages.redirect(f"{back}?{urlencode({'error': exc.code})}")
    return pages.redirect(f"{back}?{urlencode({'notice': action})}")
