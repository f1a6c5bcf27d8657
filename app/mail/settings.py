"""How this service sends e-mail, from its settings."""

from __future__ import annotations

import uuid
from typing import Literal
from urllib.parse import urlsplit

from app.core.config import Environment, Settings
from app.core.smtp_url import SmtpConfig, parse_smtp_url
from app.mail import verp

Transport = Literal["smtp", "devbox"]


def transport(settings: Settings) -> Transport | None:
    """``smtp`` when ``BADGES_SMTP_URL`` is set; in development without it the local mailbox
    (``/dev/mail``); otherwise None: e-mail is off and no message is queued."""
    if settings.smtp_url is not None:
        return "smtp"
    if settings.environment is Environment.DEVELOPMENT:
        return "devbox"
    return None


def smtp_config(settings: Settings) -> SmtpConfig:
    """The parsed ``BADGES_SMTP_URL`` (validated already when the settings were read)."""
    if settings.smtp_url is None:
        raise RuntimeError("BADGES_SMTP_URL is not set")
    return parse_smtp_url(settings.smtp_url.get_secret_value())


def service_host(settings: Settings) -> str:
    """The host of ``BADGES_BASE_URL`` (Message-ID domain, EHLO name, default sender domain)."""
    return urlsplit(settings.base_url).hostname or "localhost"


def mail_from(settings: Settings) -> str:
    """``BADGES_MAIL_FROM``, else ``noreply@`` the service's host."""
    return settings.mail_from or f"noreply@{service_host(settings)}"


def envelope_sender(settings: Settings, delivery_id: uuid.UUID) -> str:
    """The ``MAIL FROM`` of a delivery: its VERP address under ``BADGES_MAIL_BOUNCE_ADDRESS``
    (:mod:`app.mail.verp`), else :func:`mail_from`."""
    if settings.mail_bounce_address is None:
        return mail_from(settings)
    return verp.return_path(settings.mail_bounce_address, settings.kek_bytes(), delivery_id)
