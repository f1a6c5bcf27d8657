"""Settings › Profile: the issuer's name and description in English and Chinese, its web
site, e-mail, logo URL, default language and the suspension setting.

Saved through :func:`app.issuers.service.update_issuer` (what ``PATCH /api/v1/issuers/{id}``
runs), as the staff member: the audit row names them. Only English and Chinese are edited
here; a name or description in another language the API set stays as it is.

The logo is a URL: the issuer's ``image`` is an absolute http(s) URL of at most 2,048
characters in the API and its column, so an uploaded file (a ``data:`` URI) has nowhere to go
without a schema change. The issuer model has no colour fields either.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.console import pages
from app.console.access import IssuerConsole, require_role
from app.console.settings_view import FieldError, field_errors, service_error, settings_page
from app.core.db import SessionDep
from app.core.errors import AppError
from app.issuers import service as issuers
from app.issuers.schemas import IssuerUpdate
from app.models import Issuer

router = APIRouter(tags=["console"], include_in_schema=False)

Reader = Annotated[IssuerConsole, Depends(require_role("viewer"))]
OwnerPost = Annotated[IssuerConsole, Depends(require_role("owner", change=True))]

LANGUAGES = (("en", "en"), ("zh", "zh-CN"))
"""(form suffix, language tag) of the languages the form edits."""
FIELDS = {
    "name.en": "name_en",
    "name.zh-CN": "name_zh",
    "name": "name_en",
    "description.en": "description_en",
    "description.zh-CN": "description_zh",
    "url": "url",
    "email": "email",
    "image": "image",
    "default_language": "default_language",
    "defaultLanguage": "default_language",
    "suspension_enabled": "suspension_enabled",
}
"""Schema location (or the service's ``$.`` path) → form field."""
SHORT = Form(max_length=600)
LONG = Form(max_length=12_000)


def current_values(issuer: Issuer) -> dict[str, Any]:
    """The form's fields as the issuer has them now."""
    translations = issuer.translations or {}
    values: dict[str, Any] = {
        "url": issuer.url or "",
        "email": issuer.email or "",
        "image": issuer.image or "",
        "default_language": issuer.default_language,
        "suspension_enabled": issuer.suspension_enabled,
    }
    for suffix, tag in LANGUAGES:
        values[f"name_{suffix}"] = (translations.get(tag) or {}).get("name", "")
        values[f"description_{suffix}"] = (translations.get(tag) or {}).get("description", "")
    return values


def _profile_page(
    request: Request,
    console: IssuerConsole,
    values: dict[str, Any],
    errors: list[FieldError],
    status_code: int = 200,
) -> Response:
    languages = ["en", "zh-CN"]
    if console.issuer.default_language not in languages:
        languages.append(console.issuer.default_language)
    others = sorted(
        tag for tag in (console.issuer.translations or {}) if tag not in ("en", "zh-CN")
    )
    return settings_page(
        request,
        console,
        "console_settings_profile.html",
        "profile",
        status_code=status_code,
        v=values,
        errors=errors,
        by_field={e.field: e for e in errors if e.field},
        general=[e for e in errors if not e.field],
        languages=languages,
        other_languages=others,
    )


@router.get("/console/{issuer_id}/settings", response_class=Response)
def profile(request: Request, console: Reader) -> Response:
    """The profile form (owners), or the profile to read (issuers, viewers)."""
    return _profile_page(request, console, current_values(console.issuer), [])


@router.post("/console/{issuer_id}/settings/profile", response_class=Response)
def save_profile(
    request: Request,
    session: SessionDep,
    console: OwnerPost,
    name_en: Annotated[str, SHORT] = "",
    name_zh: Annotated[str, SHORT] = "",
    description_en: Annotated[str, LONG] = "",
    description_zh: Annotated[str, LONG] = "",
    url: Annotated[str, Form(max_length=2100)] = "",
    email: Annotated[str, SHORT] = "",
    image: Annotated[str, Form(max_length=2100)] = "",
    default_language: Annotated[str, Form(max_length=40)] = "",
    suspension_enabled: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Save the profile (merge patch of the fields shown; blank clears an optional one)."""
    values: dict[str, Any] = {
        "name_en": name_en.strip(),
        "name_zh": name_zh.strip(),
        "description_en": description_en.strip(),
        "description_zh": description_zh.strip(),
        "url": url.strip(),
        "email": email.strip(),
        "image": image.strip(),
        "default_language": default_language.strip() or console.issuer.default_language,
        "suspension_enabled": suspension_enabled == "1",
    }
    patch = {
        "name": {tag: values[f"name_{suffix}"] or None for suffix, tag in LANGUAGES},
        "description": {tag: values[f"description_{suffix}"] or None for suffix, tag in LANGUAGES},
        "url": values["url"] or None,
        "email": values["email"] or None,
        "image": values["image"] or None,
        "default_language": values["default_language"],
        "suspension_enabled": values["suspension_enabled"],
    }
    try:
        data = IssuerUpdate.model_validate(patch)
    except ValidationError as exc:
        return _profile_page(request, console, values, field_errors(exc, FIELDS), 422)
    try:
        issuers.update_issuer(session, console.issuer.id, data, actor=console.principal.actor)
    except AppError as exc:
        session.rollback()
        return _profile_page(request, console, values, [service_error(exc, FIELDS)], 422)
    return pages.redirect(f"/console/{console.issuer.id}/settings?notice=saved")
