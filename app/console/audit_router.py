"""The audit log view of an issuer: filters, keyset pages, CSV export. Read-only.

Who may read it: ``owner``, ``issuer`` and ``viewer`` (what the issuer did is what they answer
for). An ``assessor`` may not: mentors from outside see their modules' learners only, and the
log names every learner the issuer touched.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.console import audit_view, pages, repository
from app.console.access import IssuerConsole, require_role
from app.console.home_router import nav_for
from app.core.db import SessionDep
from app.web import i18n

router = APIRouter(tags=["console"], include_in_schema=False)

Reader = Annotated[IssuerConsole, Depends(require_role("viewer"))]


def _filter_query(request: Request) -> dict[str, str]:
    return {
        k: request.query_params[k][:255]
        for k in audit_view.FILTER_FIELDS
        if request.query_params.get(k)
    }


@router.get("/console/{issuer_id}/audit", response_class=Response)
def audit_log(request: Request, session: SessionDep, console: Reader) -> Response:
    """The issuer's audit events, newest first, filtered."""
    t = i18n.translator_for(request)
    query = _filter_query(request)
    f = audit_view.parse_filter(query)
    found = audit_view.page(session, console.issuer.id, f, request.query_params.get("before"))
    actions, types = repository.audit_choices(session, console.issuer.id)
    base = f"/console/{console.issuer.id}/audit"
    return pages.page(
        request,
        "console_audit.html",
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="audit",
        found=found,
        filters=query,
        actions=actions,
        types=types,
        csv_href=f"{base}.csv" + (f"?{urlencode(query)}" if query else ""),
        next_href=(
            f"{base}?{urlencode({**query, 'before': found.next_key})}" if found.next_key else None
        ),
        first_href=(f"{base}?{urlencode(query)}" if request.query_params.get("before") else None),
    )


@router.get("/console/{issuer_id}/audit.csv", response_class=Response)
def audit_csv(request: Request, session: SessionDep, console: Reader) -> Response:
    """The filtered events as CSV (UTF-8 with a byte-order mark, so spreadsheets read CJK)."""
    f = audit_view.parse_filter(_filter_query(request))
    body = "\ufeff" + audit_view.csv_text(session, console.issuer.id, f)
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{console.issuer.id}.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
