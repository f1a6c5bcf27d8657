"""Settings › Profile: the issuer's name and description in English and Chinese, its web
site, e-mail, logo URL, default language and the suspension setting.

Saved through :func:`app.issuers.service.update_issuer` (what ``PATCH /api/v1/issuers/{id}``
runs), as the staff member: the audit row names them. Only English and Chinese are edited
here; a name or description in another language the API set stays as it is.

Branding: the brand and accent colours are fields of the same form (a colour picker and a
``#rrggbb`` text field each; no script: the text wins when it was edited, else the picker when
it was moved), checked by the API's schema (format, WCAG contrast against white); the page
shows a server-rendered preview of white text on the saved brand colour. The logo is a
separate upload form (``/settings/logo``, PNG or SVG up to 256 KB, checked by content as badge
images are) with a remove button (``/settings/logo/remove``), through
:mod:`app.issuers.logo` like ``PUT``/``DELETE /api/v1/issuers/{id}/logo``. The logo URL field
stays: an ``image`` URL, when set, is what credentials carry; else the uploaded logo's URL.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError

from app.console import pages
from app.console.access import IssuerConsole, require_role
from app.console.settings_view import FieldError, field_errors, service_error, settings_page
from app.core.db import SessionDep
from app.core.errors import AppError
from app.core.images import MAX_IMAGE_BYTES, ImageRefused, check_image
from app.issuers import logo as issuer_logo
from app.issuers import service as issuers
from app.issuers.colors import contrast_with_white
from app.issuers.schemas import IssuerUpdate
from app.models import Issuer
from app.web import i18n

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
    "brand_color": "brand_color",
    "brandColor": "brand_color",
    "accent_color": "accent_color",
    "accentColor": "accent_color",
}
"""Schema location (or the service's ``$.`` path) → form field."""
COLOR = Form(max_length=20)
PICKER_DEFAULTS = {"brand_color": "#1d4ed8", "accent_color": "#b45309"}
"""What a colour picker shows while the colour is unset (moving it sets the colour)."""
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
        "brand_color": issuer.brand_color or "",
        "accent_color": issuer.accent_color or "",
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
        pickers={
            name: values.get(name) or default
            if _is_color(values.get(name))
            else getattr(console.issuer, name) or default
            for name, default in PICKER_DEFAULTS.items()
        },
        brand=_brand(console.issuer),
        logo_src=(
            f"/issuers/{console.issuer.id}/logo?v={console.issuer.logo_digest[:12]}"
            if console.issuer.logo_digest
            else None
        ),
        max_logo_kb=MAX_IMAGE_BYTES // 1024,
    )


def _is_color(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 7 and value.startswith("#")


def _brand(issuer: Issuer) -> dict[str, Any] | None:
    """The saved colours for the preview (and their contrast ratios), or None."""
    if not issuer.brand_color and not issuer.accent_color:
        return None
    brand = issuer.brand_color or "#1d4ed8"
    return {
        "brand": issuer.brand_color,
        "accent": issuer.accent_color,
        "fill": brand,
        "stroke": issuer.accent_color or brand,
        "brand_ratio": f"{contrast_with_white(brand):.1f}" if issuer.brand_color else "",
        "accent_ratio": (
            f"{contrast_with_white(issuer.accent_color):.1f}" if issuer.accent_color else ""
        ),
    }


def _chosen(typed: str, typed_was: str, picked: str, picked_was: str) -> str:
    """A colour from its text field and its picker (no script links them): the text when it
    was edited, else the picker when it was moved, else the text as it is."""
    typed = typed.strip()
    if typed != typed_was.strip():
        return typed
    if picked.strip().lower() != picked_was.strip().lower():
        return picked.strip()
    return typed


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
    brand_color: Annotated[str, COLOR] = "",
    brand_color_was: Annotated[str, COLOR] = "",
    brand_color_pick: Annotated[str, COLOR] = "",
    brand_color_pick_was: Annotated[str, COLOR] = "",
    accent_color: Annotated[str, COLOR] = "",
    accent_color_was: Annotated[str, COLOR] = "",
    accent_color_pick: Annotated[str, COLOR] = "",
    accent_color_pick_was: Annotated[str, COLOR] = "",
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
        "brand_color": _chosen(
            brand_color, brand_color_was, brand_color_pick, brand_color_pick_was
        ),
        "accent_color": _chosen(
            accent_color, accent_color_was, accent_color_pick, accent_color_pick_was
        ),
    }
    patch = {
        "name": {tag: values[f"name_{suffix}"] or None for suffix, tag in LANGUAGES},
        "description": {tag: values[f"description_{suffix}"] or None for suffix, tag in LANGUAGES},
        "url": values["url"] or None,
        "email": values["email"] or None,
        "image": values["image"] or None,
        "default_language": values["default_language"],
        "suspension_enabled": values["suspension_enabled"],
        "brand_color": values["brand_color"] or None,
        "accent_color": values["accent_color"] or None,
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


@router.post("/console/{issuer_id}/settings/logo", response_class=Response)
async def upload_logo(
    request: Request,
    session: SessionDep,
    console: OwnerPost,
    logo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Upload the logo (PNG or SVG, at most 256 KB, checked by content), audited."""
    t = i18n.translator_for(request)
    data = await logo.read(MAX_IMAGE_BYTES + 1) if logo is not None and logo.filename else b""
    try:
        uri = check_image(
            data,
            logo.filename or "" if logo is not None else "",
            logo.content_type or "" if logo is not None else "",
        )
    except ImageRefused as refused:
        error = FieldError("logo", t(f"console.achievements.error.image.{refused.code}"))
        return _profile_page(request, console, current_values(console.issuer), [error], 422)
    issuer_logo.set_logo(session, console.issuer.id, uri, actor=console.principal.actor)
    return pages.redirect(f"/console/{console.issuer.id}/settings?notice=logo_saved")


@router.post("/console/{issuer_id}/settings/logo/remove", response_class=Response)
def remove_logo(session: SessionDep, console: OwnerPost) -> Response:
    """Remove the uploaded logo, audited (none: nothing happens)."""
    issuer_logo.clear_logo(session, console.issuer.id, actor=console.principal.actor)
    return pages.redirect(f"/console/{console.issuer.id}/settings?notice=logo_removed")
