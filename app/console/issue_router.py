"""Issue one credential from the console: the learner, the achievement, results per
ResultDescription of that achievement, evidence, and whether to tell the learner by e-mail.

``owner`` and ``issuer`` only. The form is turned into the API's own
:class:`~app.credentials.schemas.CredentialIssue` and issued by
:func:`app.credentials.issuing.issue_credential` in the signing lane, with the staff member's
:class:`~app.core.security.IssuerPrincipal` (audit actor ``staff:<user id>``), exactly as
``POST /api/v1/credentials``. Its errors (pydantic's and the service's ``field``) are shown next
to the field they name, with everything typed kept.

The result fields depend on the achievement: choosing another one and pressing "Show its
results" (or posting with another achievement than the form showed) re-renders the form with
that achievement's results rather than issuing. Each rendering carries a one-time key, passed
as the Idempotency-Key: posting the same form twice (a double click, a reload) issues once.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.achievements import service as achievements
from app.console import pages
from app.console.access import IssuerConsole, require_role
from app.console.home_router import nav_for
from app.core.context import AppContext, ContextDep
from app.core.db import SessionDep
from app.core.errors import AppError, NotFound
from app.credentials import issuing
from app.credentials.schemas import CredentialIssue
from app.models import Achievement
from app.serving.lanes import SigningLane
from app.web import i18n
from openbadges.model.enums import ResultStatusType

router = APIRouter(tags=["console"], include_in_schema=False)

Issuer = Annotated[IssuerConsole, Depends(require_role("issuer"))]
IssuerPost = Annotated[IssuerConsole, Depends(require_role("issuer", change=True))]

STATUSES = tuple(member.value for member in ResultStatusType)
MAX_EVIDENCE_ROWS = 20
EMPTY_EVIDENCE_ROWS = 2
CHOICES = 200
"""Achievements the select offers (current versions, oldest first)."""

FIELDS = ("recipient_name", "recipient_email", "recipient_did", "achievement")
_EV = re.compile(r"^ev-(\d{1,2})-(url|name|narrative)$")
_PATH = re.compile(r"([A-Za-z_]+)|\[(\d+)\]")


@dataclass
class IssueForm:
    """The form as shown: values as typed, errors by field id."""

    values: dict[str, str] = field(default_factory=dict)
    results: dict[str, str] = field(default_factory=dict)
    evidence: list[dict[str, str]] = field(default_factory=list)
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)
    notify: bool = True
    once: str = field(default_factory=lambda: secrets.token_urlsafe(18))

    def error(self, field_id: str, key: str, detail: str = "") -> None:
        self.errors.setdefault(field_id, (key, detail))


def _str(form: Mapping[str, Any], name: str, limit: int = 20_000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def form_from_post(form: Mapping[str, Any]) -> IssueForm:
    """The posted form (values kept as typed)."""
    state = IssueForm(
        values={name: _str(form, name) for name in FIELDS},
        notify=bool(form.get("notify")),
    )
    once = _str(form, "once", 64)
    if re.fullmatch(r"[A-Za-z0-9_-]{16,64}", once):
        state.once = once
    state.results = {
        key: value
        for key, value in form.items()
        if isinstance(value, str) and re.fullmatch(r"res-\d{1,3}-(value|level|status)", key)
    }
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        match = _EV.match(key)
        if match and isinstance(value, str) and int(match.group(1)) < MAX_EVIDENCE_ROWS:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
    state.evidence = [rows[i] for i in sorted(rows)]
    return state


def _evidence_rows(rows: list[dict[str, str]], extra: int) -> list[dict[str, str]]:
    trailing = 0
    for row in reversed(rows):
        if any(v.strip() for v in row.values()):
            break
        trailing += 1
    return (rows + [{} for _ in range(max(0, extra - trailing))])[:MAX_EVIDENCE_ROWS]


def body_of(
    state: IssueForm, achievement: Achievement | None
) -> tuple[dict[str, Any], list[int], list[int]]:
    """The API body the form means; the ResultDescription index of each result, and the row
    of each evidence item (for errors)."""
    v = state.values
    recipient = {
        k: v[f"recipient_{k}"] for k in ("name", "email", "did") if v.get(f"recipient_{k}")
    }
    results: list[dict[str, Any]] = []
    result_rows: list[int] = []
    for index, rd in enumerate(achievement.result_description if achievement else []):
        item: dict[str, Any] = {}
        for member, key in (("value", "value"), ("level", "achievedLevel"), ("status", "status")):
            typed = state.results.get(f"res-{index}-{member}", "").strip()
            if typed:
                item[key] = typed
        if item:
            results.append({"resultDescription": rd.get("id"), **item})
            result_rows.append(index)
    evidence: list[dict[str, Any]] = []
    evidence_rows: list[int] = []
    for index, row in enumerate(state.evidence):
        item = {
            key: row.get(member, "").strip()
            for member, key in (("url", "id"), ("name", "name"), ("narrative", "narrative"))
            if row.get(member, "").strip()
        }
        if item:
            evidence.append(item)
            evidence_rows.append(index)
    body: dict[str, Any] = {
        "achievementId": v.get("achievement") or None,
        "recipient": recipient,
        "results": results,
        "evidence": evidence,
        "notify": state.notify,
    }
    return body, result_rows, evidence_rows


_RESULT_MEMBERS = {"value": "value", "achievedLevel": "level", "status": "status"}
_EVIDENCE_MEMBERS = {"id": "url", "name": "name", "narrative": "narrative"}


def field_of(loc: Sequence[Any], result_rows: Sequence[int], evidence_rows: Sequence[int]) -> str:
    """The form field a location of the API body names."""
    head = str(loc[0]) if loc else ""
    if head == "recipient":
        member = str(loc[1]) if len(loc) > 1 else "email"
        return f"recipient_{member if member in ('name', 'email', 'did') else 'email'}"
    if head == "achievementId":
        return "achievement"
    if head in ("results", "evidence") and len(loc) > 1 and isinstance(loc[1], int):
        rows, members, prefix = (
            (result_rows, _RESULT_MEMBERS, "res")
            if head == "results"
            else (evidence_rows, _EVIDENCE_MEMBERS, "ev")
        )
        row = rows[loc[1]] if loc[1] < len(rows) else loc[1]
        member = members.get(
            str(loc[2]) if len(loc) > 2 else "", "value" if head == "results" else "url"
        )
        return f"{prefix}-{row}-{member}"
    return "recipient_email"


def path_of(field_path: str) -> list[Any]:
    """``$.results[0].value`` → ``["results", 0, "value"]``."""
    text = field_path[2:] if field_path.startswith("$.") else field_path.lstrip("$")
    return [int(n) if n else name for name, n in _PATH.findall(text)]


def _message_key(error: Mapping[str, Any], field_id: str) -> str:
    kind = str(error.get("type", ""))
    if (
        field_id == "recipient_email"
        and kind == "value_error"
        and "email or a did" in str(error.get("msg", ""))
    ):
        return "recipient"
    if kind in ("missing", "string_too_short", "too_short"):
        return "required"
    if kind == "string_too_long":
        return "too_long"
    if field_id == "recipient_email":
        return "email"
    if field_id == "recipient_did":
        return "did"
    if field_id.endswith("-url"):
        return "url"
    return "invalid"


def validate(
    state: IssueForm, achievement: Achievement | None
) -> tuple[CredentialIssue | None, list[int], list[int]]:
    """The API model of the form, or None with ``state.errors`` filled in."""
    body, result_rows, evidence_rows = body_of(state, achievement)
    if achievement is None:
        state.error("achievement", "achievement")
    try:
        data = CredentialIssue.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            field_id = field_of(error.get("loc", ()), result_rows, evidence_rows)
            state.error(field_id, _message_key(error, field_id), str(error.get("msg", "")))
        return None, result_rows, evidence_rows
    return (None if state.errors else data), result_rows, evidence_rows


def _choices(session: Session, issuer_id: uuid.UUID) -> Sequence[Achievement]:
    return achievements.list_achievements(session, issuer_id, limit=CHOICES)


def _chosen(session: Session, issuer_id: uuid.UUID, value: str) -> Achievement | None:
    try:
        lineage = uuid.UUID(value)
    except ValueError:
        return None
    try:
        return achievements.get_current(session, issuer_id, lineage)
    except NotFound:
        return None


def _labels(
    state: IssueForm, achievement: Achievement | None, t: i18n.Translator
) -> dict[str, str]:
    names = {
        "recipient_name": t("console.issue.recipient_name"),
        "recipient_email": t("console.issue.recipient_email"),
        "recipient_did": t("console.issue.recipient_did"),
        "achievement": t("console.issue.achievement"),
    }
    rds = achievement.result_description if achievement else []
    found: dict[str, str] = {}
    for key in state.errors:
        parts = key.split("-")
        if parts[0] == "res" and len(parts) == 3 and int(parts[1]) < len(rds):
            found[key] = str(rds[int(parts[1])].get("name") or key)
        elif parts[0] == "ev" and len(parts) == 3:
            found[key] = (
                f"{t('console.issue.ev.legend', n=int(parts[1]) + 1)} · "
                f"{t('console.issue.ev.' + parts[2])}"
            )
        else:
            found[key] = names.get(key, key)
    return found


def _page(
    request: Request,
    session: Session,
    console: IssuerConsole,
    state: IssueForm,
    achievement: Achievement | None,
    *,
    extra_rows: int = EMPTY_EVIDENCE_ROWS,
    status_code: int = 200,
    notice: str = "",
) -> Response:
    t = i18n.translator_for(request)
    return pages.page(
        request,
        "console_issue.html",
        status_code=status_code,
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="issue",
        state=state,
        achievement=achievement,
        choices=_choices(session, console.issuer.id),
        evidence=_evidence_rows(state.evidence, extra_rows),
        statuses=STATUSES,
        labels=_labels(state, achievement, t),
        notice=notice,
    )


@router.get("/console/{issuer_id}/issue", response_class=Response)
def issue_form(request: Request, session: SessionDep, console: Issuer) -> Response:
    """The form; ``?achievement=`` picks the achievement whose results it asks for."""
    chosen = request.query_params.get("achievement") or ""
    achievement = _chosen(session, console.issuer.id, chosen) if chosen else None
    state = IssueForm(values=dict.fromkeys(FIELDS, ""))
    state.values["achievement"] = str(achievement.lineage_id) if achievement else ""
    return _page(request, session, console, state, achievement)


def _issue(
    request: Request,
    session: Session,
    context: AppContext,
    console: IssuerConsole,
    form: Mapping[str, Any],
) -> Response:
    """Validate, then issue through the API's pipeline (runs in the signing lane)."""
    state = form_from_post(form)
    achievement = _chosen(session, console.issuer.id, state.values.get("achievement", ""))
    action = str(form.get("action") or "issue")
    shown = _str(form, "shown", 64)
    if action == "more_ev":
        return _page(request, session, console, state, achievement, extra_rows=4)
    if achievement is not None and (action == "load" or shown != str(achievement.lineage_id)):
        state.results = {}  # the result fields were another achievement's
        notice = "" if action == "load" else "check_results"
        return _page(request, session, console, state, achievement, notice=notice)
    data, result_rows, evidence_rows = validate(state, achievement)
    if data is None:
        return _page(request, session, console, state, achievement, status_code=422)
    try:
        outcome = issuing.issue_credential(
            session, context, console.principal, data, idempotency_key=f"console:{state.once}"
        )
    except issuing.IdempotencyKeyReused:
        session.rollback()
        state.once = IssueForm().once
        state.error("recipient_email", "reused")
        return _page(request, session, console, state, achievement, status_code=422)
    except AppError as exc:
        session.rollback()
        problems = exc.errors or [{"field": exc.field or "$", "detail": exc.detail}]
        for problem in problems:
            loc = path_of(str(problem.get("field") or "$"))
            field_id = field_of(loc, result_rows, evidence_rows) if loc else "recipient_email"
            state.error(field_id, "service", str(problem.get("detail") or exc.detail))
        return _page(request, session, console, state, achievement, status_code=422)
    return pages.redirect(f"/console/{console.issuer.id}/credentials/{outcome.credential.id}")


@router.post("/console/{issuer_id}/issue", response_class=Response)
async def issue_post(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    console: IssuerPost,
    lane: SigningLane,
) -> Response:
    """Issue the credential (or re-render: more evidence rows, another achievement)."""
    form = await request.form()
    return await lane.run(_issue, request, session, context, console, form)
