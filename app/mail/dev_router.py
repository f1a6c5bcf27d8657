"""``/dev/mail``: the development mailbox (:mod:`app.mail.devbox`), in development only.

Outside ``BADGES_ENVIRONMENT=development`` every route is a 404, as if it did not exist. The
HTML part is served on its own URL with a sandboxing Content-Security-Policy (no script, no
same origin) and framed by the message page, so an e-mail's markup can never act on the page.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.core.config import Environment
from app.core.context import AppContext, ContextDep
from app.core.errors import NotFound
from app.mail import devbox
from app.web import i18n
from app.web.responses import html_page
from app.web.templating import render

router = APIRouter(prefix="/dev/mail", tags=["development"], include_in_schema=False)

HTML_PART_CSP = (
    "sandbox; default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'"
)
"""The e-mail's own HTML: inline styles (as e-mail needs), remote images, nothing else."""


def _mailbox(context: AppContext) -> Path:
    if context.settings.environment is not Environment.DEVELOPMENT:
        raise NotFound("No such page.")
    return context.settings.data_dir


def _mail(context: AppContext, mail_id: str) -> devbox.StoredMail:
    mail = devbox.get(_mailbox(context), mail_id)
    if mail is None:
        raise NotFound("No such message in the development mailbox.")
    return mail


@router.get("", response_class=Response)
def mailbox(request: Request, context: ContextDep) -> Response:
    """Every e-mail kept in the development mailbox, newest first."""
    data_dir = _mailbox(context)
    t = i18n.translator_for(request)
    body = render(
        "dev_mail.html",
        t=t,
        mails=devbox.messages(data_dir),
        keep=devbox.KEEP,
        folder=str(devbox.folder(data_dir)),
        smtp=context.settings.smtp_url is not None,
    )
    return html_page(request, body.encode("utf-8"), locale=t.locale)


@router.get("/{mail_id}", response_class=Response)
def message(request: Request, context: ContextDep, mail_id: str) -> Response:
    """One message: its headers, its HTML part (framed) and its plain-text part."""
    mail = _mail(context, mail_id)
    t = i18n.translator_for(request)
    body = render(
        "dev_mail_message.html",
        t=t,
        mail=mail,
        reply_to=mail.message.get("Reply-To"),
        date=mail.message.get("Date", ""),
        message_id=mail.message.get("Message-ID", ""),
        has_html=mail.part("html") is not None,
        text=mail.part("plain"),
    )
    return html_page(request, body.encode("utf-8"), locale=t.locale)


@router.get("/{mail_id}/html", response_class=Response)
def html_part(context: ContextDep, mail_id: str) -> Response:
    """The message's HTML part as the recipient's mail client would get it (sandboxed)."""
    html = _mail(context, mail_id).part("html")
    if html is None:
        raise NotFound("This message has no HTML part.")
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": HTML_PART_CSP,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@router.get("/{mail_id}/message.eml", response_class=Response)
def raw_message(context: ContextDep, mail_id: str) -> Response:
    """The stored message, byte for byte (opens in any mail client)."""
    raw = devbox.raw(_mailbox(context), mail_id)
    if raw is None:
        raise NotFound("No such message in the development mailbox.")
    return Response(
        raw,
        media_type="message/rfc822",
        headers={
            "Content-Disposition": f'attachment; filename="{mail_id}.eml"',
            "Cache-Control": "no-store",
        },
    )
