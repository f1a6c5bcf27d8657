"""Endorsements in the console: the ones of this issuer's work (accept or decline the pending
ones), the ones it gave, and endorsing another issuer's achievement, program or the issuer.

Reading: ``owner``, ``issuer``, ``viewer``. Accepting, declining, endorsing: ``owner`` and
``issuer``. All through :mod:`app.endorsements.service` with the staff member's actor
(``staff:<user id>``): an endorsement is signed with this issuer's own active key, and only the
endorsed thing's owner may decide (another issuer's endorsement id is 404, as in the API).
"""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.console import endorsements_view, pages
from app.console.access import IssuerConsole, require_role
from app.console.home_router import nav_for
from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.errors import AppError
from app.endorsements import service as endorsements
from app.endorsements.schemas import EndorsementCreate
from app.signing_keys import service as keys
from app.web import i18n

router = APIRouter(tags=["console"], include_in_schema=False)

Reader = Annotated[IssuerConsole, Depends(require_role("viewer"))]
IssuerPost = Annotated[IssuerConsole, Depends(require_role("issuer", change=True))]

TARGET_TYPES = ("achievement", "program", "issuer")
LANGUAGES = ("en", "zh-CN")
NOTICES = frozenset({"accepted", "declined", "created"})


def _back(console: IssuerConsole, **query: str) -> Response:
    suffix = f"?{urlencode(query)}" if query else ""
    return pages.redirect(f"/console/{console.issuer.id}/endorsements{suffix}")


@router.get("/console/{issuer_id}/endorsements", response_class=Response)
def endorsements_page(request: Request, session: SessionDep, console: Reader) -> Response:
    """Received (pending first) and given endorsements, and the form to endorse."""
    t = i18n.translator_for(request)
    notice = request.query_params.get("notice", "")
    return pages.page(
        request,
        "console_endorsements.html",
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="endorsements",
        received=endorsements_view.received(session, console.issuer.id, t.locale),
        given=endorsements_view.given(session, console.issuer.id, t.locale),
        can_change=console.allows("issuer"),
        target_types=TARGET_TYPES,
        languages=LANGUAGES,
        notice=notice if notice in NOTICES else "",
        error=request.query_params.get("error", "")[:64],
    )


def _decide(
    session: SessionDep,
    context: ContextDep,
    console: IssuerConsole,
    endorsement_id: uuid.UUID,
    *,
    accept: bool,
) -> Response:
    try:
        endorsements.decide_endorsement(
            session,
            context,
            endorsement_id,
            accept=accept,
            owner_id=console.issuer.id,
            actor=console.principal.actor,
        )
    except endorsements.DecisionConflict:
        session.rollback()
        return _back(console, error="decided")
    return _back(console, notice="accepted" if accept else "declined")


@router.post("/console/{issuer_id}/endorsements/{endorsement_id}/accept", response_class=Response)
def endorsement_accept(
    endorsement_id: uuid.UUID, session: SessionDep, context: ContextDep, console: IssuerPost
) -> Response:
    """Accept a pending endorsement of this issuer's work: credentials issued from now embed it."""
    return _decide(session, context, console, endorsement_id, accept=True)


@router.post("/console/{issuer_id}/endorsements/{endorsement_id}/decline", response_class=Response)
def endorsement_decline(
    endorsement_id: uuid.UUID, session: SessionDep, context: ContextDep, console: IssuerPost
) -> Response:
    """Decline a pending endorsement: it is never embedded."""
    return _decide(session, context, console, endorsement_id, accept=False)


@router.post("/console/{issuer_id}/endorsements/new", response_class=Response)
def endorsement_create(
    session: SessionDep,
    context: ContextDep,
    console: IssuerPost,
    target_type: Annotated[str, Form(max_length=20)] = "",
    target: Annotated[str, Form(max_length=2048)] = "",
    comment_en: Annotated[str, Form(alias="comment_en", max_length=10_000)] = "",
    comment_zh: Annotated[str, Form(alias="comment_zh-CN", max_length=10_000)] = "",
) -> Response:
    """Endorse another issuer's achievement, program or the issuer, signed with this issuer's
    key (stored pending until its owner accepts)."""
    ident = endorsements_view.target_id(target)
    if target_type not in TARGET_TYPES or ident is None:
        return _back(console, error="target")
    comments = {tag: text.strip() for tag, text in (("en", comment_en), ("zh-CN", comment_zh))}
    comments = {tag: text for tag, text in comments.items() if text}
    if not comments:
        return _back(console, error="comment")
    try:
        data = EndorsementCreate.model_validate(
            {"targetType": target_type, "targetId": str(ident), "comment": comments}
        )
    except ValidationError:
        return _back(console, error="comment")
    try:
        endorsements.create_endorsements(
            session, context, data, partner_id=console.issuer.id, actor=console.principal.actor
        )
    except AppError as exc:
        session.rollback()
        return _back(console, error=_error_of(exc))
    return _back(console, notice="created")


def _error_of(exc: AppError) -> str:
    """The page's message for a refused endorsement."""
    if isinstance(exc, endorsements.SelfEndorsement):
        return "self"
    if isinstance(exc, endorsements.TargetNotFound):
        return "target_missing"
    if isinstance(exc, keys.NoActiveKey):
        return "no_key"
    return "generic"
