"""Settings › E-mail: the issuer's mail settings and a preview of every e-mail it sends.

The owner sets what an issuer's own API key may set through ``PATCH /api/v1/issuers/{id}``:
the sender's display name, the reply-to address and whether learners hear of a revocation
(saved by :func:`app.issuers.service.update_issuer`, audited as the staff member). The daily
quota and the rate are the service administrator's (``ADMIN_ONLY_SETTINGS``): shown, not
editable, here as in the API.

Each preview is :func:`app.mail.render.render` of a made-up payload in English or Chinese.
The page shows the subject, the headers and the plain-text part; the HTML part is framed
from its own URL, served with a sandboxing Content-Security-Policy (no script, no origin,
inline styles as e-mail needs) as the development mailbox does (:mod:`app.mail.dev_router`):
a ``srcdoc`` frame would inherit the page's policy, which refuses inline styles.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.console import pages
from app.console.access import IssuerConsole, require_role
from app.console.settings_view import (
    FieldError,
    field_errors,
    mail_language,
    mail_template,
    preview_now,
    sample_payload,
    service_error,
    settings_page,
)
from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.errors import AppError, NotFound
from app.issuers import service as issuers
from app.issuers.schemas import IssuerUpdate
from app.mail.dev_router import HTML_PART_CSP
from app.mail.render import LANGUAGES, TEMPLATES, render
from app.mail.settings import mail_from, service_host

router = APIRouter(tags=["console"], include_in_schema=False)

Reader = Annotated[IssuerConsole, Depends(require_role("viewer"))]
OwnerPost = Annotated[IssuerConsole, Depends(require_role("owner", change=True))]
FIELDS = {
    "mail_sender_name": "mail_sender_name",
    "mailSenderName": "mail_sender_name",
    "mail_reply_to": "mail_reply_to",
    "mailReplyTo": "mail_reply_to",
    "notify_on_revocation": "notify_on_revocation",
}


def _mail_page(
    request: Request,
    context: ContextDep,
    console: IssuerConsole,
    values: dict[str, Any],
    errors: list[FieldError],
    status_code: int = 200,
) -> Response:
    settings = context.settings
    return settings_page(
        request,
        console,
        "console_settings_mail.html",
        "mail",
        status_code=status_code,
        v=values,
        errors=errors,
        by_field={e.field: e for e in errors if e.field},
        general=[e for e in errors if not e.field],
        quota=console.issuer.mail_daily_quota,
        rate=console.issuer.mail_rate_per_minute,
        default_quota=settings.mail_daily_quota,
        default_rate=settings.mail_rate_per_minute,
        templates=TEMPLATES,
        mail_languages=LANGUAGES,
    )


@router.get("/console/{issuer_id}/settings/mail", response_class=Response)
def mail_settings(request: Request, context: ContextDep, console: Reader) -> Response:
    """The e-mail settings (owners change them) and the list of previews."""
    issuer = console.issuer
    values = {
        "mail_sender_name": issuer.mail_sender_name or "",
        "mail_reply_to": issuer.mail_reply_to or "",
        "notify_on_revocation": issuer.notify_on_revocation,
    }
    return _mail_page(request, context, console, values, [])


@router.post("/console/{issuer_id}/settings/mail", response_class=Response)
def save_mail_settings(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    console: OwnerPost,
    mail_sender_name: Annotated[str, Form(max_length=600)] = "",
    mail_reply_to: Annotated[str, Form(max_length=400)] = "",
    notify_on_revocation: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Save the sender name, reply-to and the revocation notice (blank: the default)."""
    values: dict[str, Any] = {
        "mail_sender_name": mail_sender_name.strip(),
        "mail_reply_to": mail_reply_to.strip(),
        "notify_on_revocation": notify_on_revocation == "1",
    }
    patch = {
        "mail_sender_name": values["mail_sender_name"] or None,
        "mail_reply_to": values["mail_reply_to"] or None,
        "notify_on_revocation": values["notify_on_revocation"],
    }
    try:
        data = IssuerUpdate.model_validate(patch)
    except ValidationError as exc:
        return _mail_page(request, context, console, values, field_errors(exc, FIELDS), 422)
    try:
        issuers.update_issuer(session, console.issuer.id, data, actor=console.principal.actor)
    except AppError as exc:
        session.rollback()
        return _mail_page(request, context, console, values, [service_error(exc, FIELDS)], 422)
    return pages.redirect(f"/console/{console.issuer.id}/settings/mail?notice=saved")


def _rendered(context: ContextDep, console: IssuerConsole, template: str, language: str) -> Any:
    if mail_template(template) is None or mail_language(language) is None:
        raise NotFound("No such e-mail template.")
    base_url = context.settings.base_url
    payload, claim_url, code = sample_payload(
        console.issuer, template, language, base_url, preview_now()
    )
    return payload, render(payload, claim_url, service_host(context.settings), code)


@router.get("/console/{issuer_id}/settings/mail/{template}/{language}", response_class=Response)
def preview(
    request: Request, context: ContextDep, console: Reader, template: str, language: str
) -> Response:
    """One e-mail as a learner would get it: headers, the HTML part (framed), the text part."""
    payload, rendered = _rendered(context, console, template, language)
    return settings_page(
        request,
        console,
        "console_settings_mail_preview.html",
        "mail",
        kind=template,
        mail_lang=language,
        templates=TEMPLATES,
        mail_languages=LANGUAGES,
        sender=f"{payload['senderName']} <{mail_from(context.settings)}>",
        reply_to=payload.get("replyTo") or "",
        recipient=f"{payload['recipientName']} <{payload['to']}>",
        rendered=rendered,
    )


@router.get(
    "/console/{issuer_id}/settings/mail/{template}/{language}/html", response_class=Response
)
def preview_html(context: ContextDep, console: Reader, template: str, language: str) -> Response:
    """The preview's HTML part alone, sandboxed (framed by the preview page only)."""
    _, rendered = _rendered(context, console, template, language)
    return Response(
        rendered.html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": HTML_PART_CSP,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex, nofollow",
        },
    )
