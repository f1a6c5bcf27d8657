"""What the owner's settings pages share: their sections, who may open each, the page
wrapper, turning a validation error into a message next to its field, and the sample e-mails.

Who may open what (the pages check; a hidden link is a courtesy):

* **Profile** and **E-mail** (settings and template previews): any member but an assessor
  reads them (the profile is public anyway; the e-mail settings say nothing secret); only an
  ``owner`` changes them.
* **Signing keys**: read by ``viewer`` and up (public keys, published in the DID document);
  rotated by an ``owner`` after a confirmation page.
* **API keys** and **Webhooks**: ``owner`` only, reading included (who has machine access,
  where learners' data is sent, and the deliveries' bodies).

An ``assessor`` gets 403 everywhere here; staff of another issuer 404 (:mod:`app.console.access`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.console import pages
from app.console.access import IssuerConsole
from app.console.home_router import nav_for
from app.core.errors import AppError
from app.mail.render import LANGUAGES, TEMPLATES
from app.models import Issuer
from app.web import i18n
from app.web.badge_image import generated_svg


@dataclass(frozen=True, slots=True)
class Section:
    """One settings page: its name (message key), path below ``settings``, least role."""

    name: str
    path: str
    role: str


SECTIONS = (
    Section("profile", "", "viewer"),
    Section("keys", "/keys", "viewer"),
    Section("api_keys", "/api-keys", "owner"),
    Section("webhooks", "/webhooks", "owner"),
    Section("mail", "/mail", "viewer"),
)
"""The settings pages in menu order."""


def base(console: IssuerConsole) -> str:
    """``/console/{issuer}/settings``."""
    return f"/console/{console.issuer.id}/settings"


def settings_page(
    request: Request,
    console: IssuerConsole,
    template: str,
    section: str,
    *,
    status_code: int = 200,
    **values: Any,
) -> Response:
    """A settings page: the console's bar and menu, the settings sections this role opens."""
    t = i18n.translator_for(request)
    values.setdefault("notice", request.query_params.get("notice", "")[:40])
    values.setdefault("error", request.query_params.get("error", "")[:60])
    return pages.page(
        request,
        template,
        status_code=status_code,
        console=console,
        issuer_name=pages.issuer_name(console.issuer, t.locale),
        nav=nav_for(console),
        current="settings",
        section=section,
        sections=[(s.name, base(console) + s.path) for s in SECTIONS if console.allows(s.role)],
        settings_base=base(console),
        can_change=console.allows("owner"),
        **values,
    )


@dataclass(frozen=True, slots=True)
class FieldError:
    """A refused value: the form field, and the service's own words (English, as detail)."""

    field: str
    detail: str


def field_errors(error: ValidationError, fields: dict[str, str]) -> list[FieldError]:
    """The errors of a schema built from a form, each named by its form field.

    ``fields`` maps a schema location (``name.en``, ``url``) to the form field; a location
    not listed (a model-level check) is named ``""`` (shown above the form).
    """
    found: list[FieldError] = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        field = fields.get(location, fields.get(str(item["loc"][0]) if item["loc"] else "", ""))
        message = str(item.get("msg", ""))
        found.append(FieldError(field, message.removeprefix("Value error, ")))
    return found


def service_error(error: AppError, fields: dict[str, str]) -> FieldError:
    """An :class:`AppError` of a service as a form error (its ``field``, a ``$.`` path)."""
    path = (error.field or "").removeprefix("$.")
    return FieldError(fields.get(path, ""), error.detail)


# --- e-mail previews -------------------------------------------------------------------------

SAMPLE_NAMES = {
    "en": {"recipient": "Li Wei", "achievement": "Data Analysis with Python", "host": "Career Hub"},
    "zh-CN": {"recipient": "李伟", "achievement": "Python 数据分析", "host": "职业发展中心"},
}
"""The made-up learner, achievement and wallet host of the previews, per language."""
SAMPLE_CODE = "K7QM-4TZP"
SAMPLE_ID = "00000000-0000-4000-8000-000000000000"


def sample_payload(
    issuer: Issuer, template: str, language: str, base_url: str, now: datetime
) -> tuple[dict[str, Any], str | None, str | None]:
    """A delivery payload of ``template`` from ``issuer`` to a made-up learner, as
    :mod:`app.mail.service` builds them, with its claim link and wallet code (or None).

    The badge image is a generated SVG ``data:`` URI, so the preview loads nothing.
    """
    names = SAMPLE_NAMES[language]
    issuer_name = issuer.text("name", language) or issuer.name
    credential_url = f"{base_url}/credentials/{SAMPLE_ID}"
    badge = generated_svg(names["achievement"]).encode("utf-8")
    payload: dict[str, Any] = {
        "template": template,
        "language": language,
        "to": "li.wei@example.org",
        "recipientName": names["recipient"],
        "credentialId": SAMPLE_ID,
        "credentialUrl": credential_url,
        "badgeImageUrl": "data:image/svg+xml;base64," + base64.b64encode(badge).decode("ascii"),
        "issuerName": issuer_name,
        "achievementName": names["achievement"],
        "senderName": issuer.mail_sender_name or issuer_name,
        "replyTo": issuer.mail_reply_to or issuer.email,
        "claimSealed": None,
        "claimExpiresAt": None,
    }
    claim_url: str | None = None
    code: str | None = None
    if template == "issued":
        claim_url = f"{base_url}/claim/example"
        payload["claimExpiresAt"] = (now + timedelta(days=30)).isoformat()
    elif template == "wallet_code":
        code = SAMPLE_CODE
        payload["codeExpiresAt"] = (now + timedelta(minutes=15)).isoformat()
    elif template == "push_request":
        payload["hostName"] = names["host"]
        payload["reviewUrl"] = f"{base_url}/account/requests"
        payload["requestExpiresAt"] = (now + timedelta(days=14)).isoformat()
    return payload, claim_url, code


def preview_now() -> datetime:
    """The moment the previews count their expiries from (now, to the minute)."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


def mail_template(template: str) -> str | None:
    """``template`` when it is one of the issuer's e-mails, else None."""
    return template if template in TEMPLATES else None


def mail_language(language: str) -> str | None:
    """``language`` when the e-mails exist in it, else None."""
    return language if language in LANGUAGES else None
