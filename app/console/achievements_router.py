"""Achievements in the console: list, one achievement, create, edit (→ a new version once
issued), badge image upload, and a preview of the credential as it would be issued.

Reading: ``owner``, ``issuer``, ``viewer``. Creating and editing: ``owner`` and ``issuer``.
Every change goes through :mod:`app.achievements.service` (the API's POST and PATCH) with the
staff member as actor; another issuer's achievement is 404, as in the API.

The form posts ``multipart/form-data`` (the badge image). Its buttons: ``save``, ``preview``
(validates and shows the credential without saving) and ``more_rd`` / ``more_al`` (the same
form with more blank rows); every re-render keeps what was typed, and a checked image waiting
to be saved travels in a hidden field (checked again on each post).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.achievements import service as achievements
from app.achievements.schemas import AchievementCreate, AchievementUpdate
from app.console import achievements_view as view
from app.console import pages
from app.console.access import IssuerConsole, require_role
from app.console.home_router import nav_for
from app.core import images
from app.core.context import AppContext, ContextDep
from app.core.db import SessionDep
from app.core.schemas import MAX_OFFSET
from app.core.urls import achievement_url
from app.credentials import issuing
from app.credentials.schemas import CredentialIssue, RecipientIn
from app.models import Achievement
from app.web import i18n
from app.web.markup import markdown
from app.web.view import credential_view

router = APIRouter(tags=["console"], include_in_schema=False)

Reader = Annotated[IssuerConsole, Depends(require_role("viewer"))]
Editor = Annotated[IssuerConsole, Depends(require_role("issuer"))]
EditorPost = Annotated[IssuerConsole, Depends(require_role("issuer", change=True))]

PAGE_SIZE = 50
SAMPLE_EMAIL = "learner@example.org"


def _common(request: Request, console: IssuerConsole) -> dict[str, Any]:
    t = i18n.translator_for(request)
    return {
        "console": console,
        "issuer_name": pages.issuer_name(console.issuer, t.locale),
        "nav": nav_for(console),
        "current": "achievements",
    }


@router.get("/console/{issuer_id}/achievements", response_class=Response)
def achievements_list(request: Request, session: SessionDep, console: Reader) -> Response:
    """The issuer's achievements (current versions), oldest first, a page at a time."""
    try:
        offset = min(max(int(request.query_params.get("offset") or 0), 0), MAX_OFFSET)
    except ValueError:
        offset = 0
    rows = achievements.list_achievements(
        session, console.issuer.id, limit=PAGE_SIZE + 1, offset=offset
    )
    base = f"/console/{console.issuer.id}/achievements"
    return pages.page(
        request,
        "console_achievements.html",
        **_common(request, console),
        rows=rows[:PAGE_SIZE],
        can_change=console.allows("issuer"),
        next_href=f"{base}?{urlencode({'offset': offset + PAGE_SIZE})}"
        if len(rows) > PAGE_SIZE
        else None,
        notice=request.query_params.get("notice", ""),
    )


_FIELD_LABELS = {
    "name": "field.name",
    "description": "field.description",
    "criteria_narrative": "field.criteria",
    "criteria_url": "field.criteria_url",
    "achievement_type": "field.type",
    "in_language": "field.language",
    "credits": "field.credits",
    "human_code": "field.human_code",
    "field_of_study": "field.field_of_study",
    "tags": "field.tags",
    "image": "field.image",
    "image_caption": "field.caption",
}


def labels(errors: Mapping[str, Any], t: i18n.Translator) -> dict[str, str]:
    """What the error summary calls each field in error (``Result 2 · Name``)."""
    found: dict[str, str] = {}
    for key in errors:
        parts = key.split("-")
        if len(parts) == 3 and parts[1].isdigit():
            kind, number, member = parts[0], int(parts[1]) + 1, parts[2]
            found[key] = (
                f"{t(f'console.achievements.{kind}.legend', n=number)} · "
                f"{t(f'console.achievements.{kind}.{member}')}"
            )
        else:
            found[key] = t("console.achievements." + _FIELD_LABELS.get(key, "field.name"))
    return found


def _form_page(
    request: Request,
    session: Session,
    console: IssuerConsole,
    state: view.FormState,
    *,
    previous: Achievement | None,
    more: str = "",
    preview: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    known, frameworks = view.known_alignments(session, console.issuer.id)
    types = list(view.ACHIEVEMENT_TYPES)
    chosen = state.values.get("achievement_type", "")
    if chosen and chosen not in types:
        types.append(chosen)  # an ext: term set through the API stays selectable
    return pages.page(
        request,
        "console_achievement_form.html",
        status_code=status_code,
        **_common(request, console),
        state=state,
        labels=labels(state.errors, i18n.translator_for(request)),
        results=view.padded(state.results, view.EMPTY_ROWS + (2 if more == "more_rd" else 0)),
        alignments=view.padded(state.alignments, view.EMPTY_ROWS + (2 if more == "more_al" else 0)),
        known=known,
        frameworks=frameworks,
        achievement_types=types,
        result_types=view.RESULT_TYPES,
        alignment_types=view.ALIGNMENT_TYPES,
        languages=view.LANGUAGES,
        achievement=previous,
        preview=credential_view(preview) if preview else None,
        max_image_kb=images.MAX_IMAGE_BYTES // 1024,
    )


@router.get("/console/{issuer_id}/achievements/new", response_class=Response)
def achievement_new(request: Request, session: SessionDep, console: Editor) -> Response:
    """An empty achievement form."""
    state = view.FormState(values=dict.fromkeys(view.SIMPLE_FIELDS, ""))
    state.values["image_remove"] = ""
    return _form_page(request, session, console, state, previous=None)


Upload = tuple[bytes, str, str] | None


async def _upload(form: Mapping[str, Any]) -> Upload:
    """The chosen file (bytes, name, declared type), at most one byte past the limit."""
    item = form.get("image")
    if not isinstance(item, UploadFile) or not item.filename:
        return None
    data = await item.read(images.MAX_IMAGE_BYTES + 1)
    if not data:
        return None
    return data, item.filename or "", item.content_type or ""


def _take_image(state: view.FormState, form: Mapping[str, Any], upload: Upload) -> None:
    """A new upload (checked), else the checked image the form carried from a re-render."""
    if upload is not None:
        try:
            state.image = images.check_image(*upload)
        except images.ImageRefused as refused:
            state.error("image", f"image.{refused.code}")
        return
    kept = form.get("image_kept")
    if isinstance(kept, str) and kept and not state.values.get("image_remove"):
        try:
            state.image = images.recheck_data_uri(kept)
        except images.ImageRefused:
            state.image = None


def _submit(
    request: Request,
    session: Session,
    context: AppContext,
    console: IssuerConsole,
    form: Mapping[str, Any],
    upload: Upload,
    lineage_id: uuid.UUID | None,
) -> Response:
    """Save, preview, or add rows (the blocking part of both posts)."""
    previous = (
        achievements.get_current(session, console.issuer.id, lineage_id)
        if lineage_id is not None
        else None
    )
    state = view.state_from_form(form)
    if previous is not None and previous.image:
        state.current_image = str(previous.image.get("id") or "") or None
    _take_image(state, form, upload)
    action = str(form.get("action") or "save")
    if action in ("more_rd", "more_al"):
        return _form_page(request, session, console, state, previous=previous, more=action)
    known, _ = view.known_alignments(session, console.issuer.id)
    data = view.validate(state, {k.key: k for k in known}, previous)
    if data is None or state.errors:
        return _form_page(request, session, console, state, previous=previous, status_code=422)
    if action == "preview":
        document = view.preview_document(session, context, console.issuer.id, data)
        return _form_page(request, session, console, state, previous=previous, preview=document)
    actor = console.principal.actor
    if previous is None and isinstance(data, AchievementCreate):
        row = achievements.create_achievement(session, console.issuer.id, data, actor=actor)
        notice = "created"
    elif previous is not None and isinstance(data, AchievementUpdate):
        row = achievements.update_achievement(
            session, console.issuer.id, previous.lineage_id, data, actor=actor
        )
        notice = "versioned" if row.version > previous.version else "updated"
    else:  # pragma: no cover - validate() returns the model of the form's kind
        raise AssertionError("unexpected form model")
    return pages.redirect(
        f"/console/{console.issuer.id}/achievements/{row.lineage_id}?{urlencode({'notice': notice})}"
    )


@router.post("/console/{issuer_id}/achievements/new", response_class=Response)
async def achievement_create(
    request: Request, session: SessionDep, context: ContextDep, console: EditorPost
) -> Response:
    """Create version 1 (or preview it, or add rows)."""
    form = await request.form()
    upload = await _upload(form)
    return await run_in_threadpool(_submit, request, session, context, console, form, upload, None)


@router.get("/console/{issuer_id}/achievements/{achievement_id}", response_class=Response)
def achievement_detail(
    achievement_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    console: Reader,
) -> Response:
    """One achievement's current version."""
    row = achievements.get_current(session, console.issuer.id, achievement_id)
    return pages.page(
        request,
        "console_achievement.html",
        **_common(request, console),
        row=row,
        url=achievement_url(context.settings.base_url, row.lineage_id, row.version),
        description=markdown(row.description),
        criteria=markdown((row.criteria or {}).get("narrative")),
        credits=view.number(row.credits_available),
        can_change=console.allows("issuer"),
        notice=request.query_params.get("notice", ""),
    )


@router.get("/console/{issuer_id}/achievements/{achievement_id}/preview", response_class=Response)
def achievement_preview(
    achievement_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    console: Reader,
) -> Response:
    """The credential as the issuing service would assemble it now (unsigned, not stored)."""
    t = i18n.translator_for(request)
    row = achievements.get_current(session, console.issuer.id, achievement_id)
    data = CredentialIssue(
        achievement_id=row.lineage_id,
        recipient=RecipientIn(email=SAMPLE_EMAIL, name=t("console.achievements.preview.learner")),
        notify=False,
    )
    try:
        document = issuing.preview(session, context, console.issuer.id, data)
    finally:
        session.rollback()  # a dry run: nothing reserved, nothing written
    return pages.page(
        request,
        "console_achievement_preview.html",
        **_common(request, console),
        row=row,
        preview=credential_view(document),
        can_change=console.allows("issuer"),
    )


@router.get("/console/{issuer_id}/achievements/{achievement_id}/edit", response_class=Response)
def achievement_edit(
    achievement_id: uuid.UUID, request: Request, session: SessionDep, console: Editor
) -> Response:
    """The edit form of the current version."""
    row = achievements.get_current(session, console.issuer.id, achievement_id)
    return _form_page(request, session, console, view.state_from_row(row), previous=row)


@router.post("/console/{issuer_id}/achievements/{achievement_id}/edit", response_class=Response)
async def achievement_update(
    achievement_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    console: EditorPost,
) -> Response:
    """Save the edit (a new version once the current one was issued), preview, or add rows."""
    form = await request.form()
    upload = await _upload(form)
    return await run_in_threadpool(
        _submit, request, session, context, console, form, upload, achievement_id
    )
