"""A platform admin creates issuers from the console (``POST /console/issuers``): the same
service as ``POST /api/v1/issuers`` (keys, status lists, audit row), with the person as actor.

The form is on the console home (:mod:`app.console.home_router`), shown to platform admins
only; anyone else posting it gets the 403 page. The new issuer's console opens next, where the
admin (an owner everywhere) invites its owners from **Users**.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.console import pages
from app.console.access import ConsoleRefused, StaffPost
from app.console.auth_service import actor_of
from app.console.home_router import home_values
from app.console.settings_view import field_errors
from app.core.context import ContextDep
from app.core.db import SessionDep
from app.issuers import service as issuers
from app.issuers.schemas import IssuerCreate
from app.web import i18n

router = APIRouter(tags=["console"], include_in_schema=False)

FIELDS = {
    "name.en": "name_en",
    "name.zh-CN": "name_zh",
    "name": "name_en",
    "url": "url",
    "email": "email",
    "defaultLanguage": "language",
    "default_language": "language",
}
"""Schema locations → the form's fields (errors are shown next to them)."""
TRANSLATED = ("name_en", "url", "email")
"""Fields whose refusal is said in the page's language (the schema's words are English)."""


@router.post("/console/issuers", response_class=Response)
def create_issuer(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    signed: StaffPost,
    name_en: Annotated[str, Form(max_length=1000)] = "",
    name_zh: Annotated[str, Form(max_length=1000)] = "",
    url: Annotated[str, Form(max_length=4096)] = "",
    email: Annotated[str, Form(max_length=1000)] = "",
    language: Annotated[str, Form(max_length=10)] = "en",
) -> Response:
    """Create the issuer and open its console (the form again, with its errors, if not)."""
    if not signed.user.platform_admin:
        raise ConsoleRefused("Only a platform administrator creates issuers.")
    form = {"name_en": name_en, "name_zh": name_zh, "url": url, "email": email}
    form["language"] = language
    names = {
        tag: text.strip() for tag, text in (("en", name_en), ("zh-CN", name_zh)) if text.strip()
    }
    body: dict[str, Any] = {"name": names}
    if url.strip():
        body["url"] = url.strip()
    if email.strip():
        body["email"] = email.strip()
    if language in names:
        body["defaultLanguage"] = language
    try:
        data = IssuerCreate.model_validate(body)
    except ValidationError as error:
        t = i18n.translator_for(request)
        errors = {
            field: t(f"console.issuers.error.{field}") if field in TRANSLATED else item.detail
            for item in field_errors(error, FIELDS)
            for field in (item.field or "name_en",)
        }
        session.rollback()
        return pages.page(
            request,
            "console_home.html",
            status_code=422,
            **home_values(request, session, signed, form=form, errors=errors),
        )
    issuer = issuers.create_issuer(session, context, data, actor=actor_of(signed.user))
    session.commit()
    return pages.redirect(f"/console/{issuer.id}?notice=created")
