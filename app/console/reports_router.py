"""Reports in the console: over a chosen period, for the whole issuer, one achievement or one
program, the totals (issued, claimed, viewed, verified, shared to LinkedIn, revoked) as a
table, a server-rendered SVG chart per day for each, and for a program its completion funnel
(chart and table); every table downloads as CSV (:mod:`app.reports.exports`).

Who may read them: ``owner``, ``issuer``, ``viewer`` (an assessor gets the 403 page). The
numbers come from :mod:`app.reports.service`, as the API's; the scope is always the
signed-in member's issuer, so another issuer's achievement or program in the query is the
"no such achievement or program" error, never its data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.console import pages
from app.console import reports_view as view
from app.console.access import IssuerConsole, require_role
from app.console.home_router import nav_for
from app.core.db import SessionDep
from app.core.errors import Unprocessable
from app.reports import exports, service
from app.web import i18n

router = APIRouter(tags=["console"], include_in_schema=False)

Reader = Annotated[IssuerConsole, Depends(require_role("viewer"))]
CSV = "text/csv; charset=utf-8"


def _today() -> date:
    return datetime.now(UTC).date()


@router.get("/console/{issuer_id}/reports", response_class=Response)
def reports(request: Request, session: SessionDep, console: Reader) -> Response:
    """The report of the chosen period and scope, or the form again with its errors."""
    t = i18n.translator_for(request)
    issuer_id = console.issuer.id
    today = _today()
    form = view.parse_form(request.query_params, today)
    scope = view.scope_of(session, issuer_id, form)
    summary = funnel = None
    charts: list[view.Chart] = []
    funnel_rows: list[view.FunnelRow] = []
    funnel_svg = program_label = ""
    if form.period is not None and scope is not None and not form.errors:
        summary = service.summary(session, issuer_id, form.period, scope)
        charts = view.daily_charts(summary, t)
        if form.program_id is not None:
            funnel = service.funnel(
                session, issuer_id, form.program_id, form.period if form.cohort else None
            )
            funnel_rows = view.funnel_rows(funnel, t)
            program_label = (
                funnel.name.get(t.locale) or next(iter(funnel.name.values()), "")
                if funnel.name
                else str(funnel.program_id)
            )
            funnel_svg = view.funnel_chart(funnel_rows, program_label, t)
    achievements = view.achievement_choices(session, issuer_id)
    program_choices = view.program_choices(session, issuer_id, t.locale)
    scope_label = next(
        (c.label for c in (*achievements, *program_choices) if c.value == form.values["scope"]),
        "",
    )
    base = f"/console/{issuer_id}/reports"
    return pages.page(
        request,
        "console_reports.html",
        status_code=422 if form.errors else 200,
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="reports",
        form=form,
        base=base,
        presets=view.presets(form, today),
        achievements=achievements,
        programs=program_choices,
        scope_label=scope_label,
        summary=summary,
        metrics=service.METRICS,
        charts=charts,
        funnel=funnel,
        funnel_rows=funnel_rows,
        funnel_svg=funnel_svg,
        program_label=program_label,
        max_days=service.MAX_DAYS,
        summary_csv=f"{base}/summary.csv?{form.query}",
        funnel_csv=f"{base}/funnel.csv?{form.query}",
    )


def _checked(
    request: Request, session: SessionDep, console: IssuerConsole
) -> tuple[view.ReportForm, service.Period, service.Scope]:
    """The form of a CSV link; a bad one is a 422 naming the field (links the page makes are
    never bad)."""
    form = view.parse_form(request.query_params, _today())
    scope = view.scope_of(session, console.issuer.id, form)
    if form.errors or form.period is None or scope is None:
        name, problem = next(iter(form.errors.items()))
        raise Unprocessable(f"Bad report parameter ({problem}).", field=f"query.{name}")
    return form, form.period, scope


def _csv(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type=CSV,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/console/{issuer_id}/reports/summary.csv", response_class=Response)
def summary_csv(request: Request, session: SessionDep, console: Reader) -> Response:
    """The report's per-day table and totals as CSV (the API's format)."""
    form, period, scope = _checked(request, session, console)
    report = service.summary(session, console.issuer.id, period, scope)
    last = form.values["until"]
    return _csv(exports.summary_csv(report), f"report-{form.values['from']}-{last}.csv")


@router.get("/console/{issuer_id}/reports/funnel.csv", response_class=Response)
def funnel_csv(request: Request, session: SessionDep, console: Reader) -> Response:
    """A program's funnel as CSV (one row per stage); the scope must be a program."""
    form, period, _ = _checked(request, session, console)
    if form.program_id is None:
        raise Unprocessable("Choose a program.", field="query.scope")
    report = service.funnel(
        session, console.issuer.id, form.program_id, period if form.cohort else None
    )
    return _csv(exports.funnel_csv(report), f"funnel-{form.program_id}.csv")
