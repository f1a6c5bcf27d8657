"""Render a notification e-mail from its delivery's payload: subject, text and HTML, en/zh-CN.

Rendering happens when the message is sent, from the facts the fan-out froze into the payload
(names in the learner's language, URLs), so a template fix reaches messages still waiting for a
retry. The message is ``multipart/alternative`` (RFC 2046 §5.1.4) with the plain-text part
first; headers follow RFC 5322, non-ASCII names encoded per RFC 2047 by :mod:`email`'s SMTP
policy. ``Auto-Submitted: auto-generated`` (RFC 3834) keeps auto-responders from answering.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

LANGUAGES = ("en", "zh-CN")
DEFAULT_LANGUAGE = "en"
TEMPLATES = ("issued", "program_completed", "revoked", "wallet_code", "push_request")
ACCOUNT_TEMPLATES = ("sign_in", "add_email", "staff_invite", "staff_reset")
"""The service's own messages: to a learner, a sign-in link or a link verifying an address;
to a member of an issuer's staff, an invitation to the console or a link to choose a new
password (:mod:`app.console`)."""
_HERE = Path(__file__).parent


def mail_language(*tags: str | None) -> str:
    """The first of ``tags`` a template exists for (any ``zh*`` is zh-CN, any ``en*`` is en),
    else English: the learner's request, then the issuer's default, then en."""
    for tag in tags:
        primary = (tag or "").strip().lower().split("-", 1)[0].split("_", 1)[0]
        found = {"zh": "zh-CN", "en": "en"}.get(primary)
        if found:
            return found
    return DEFAULT_LANGUAGE


def _load(language: str) -> dict[str, str]:
    loaded = json.loads((_HERE / "i18n" / f"{language}.json").read_text(encoding="utf-8"))
    return {str(key): str(value) for key, value in loaded.items()}


_CATALOGUES = {language: _load(language) for language in LANGUAGES}
"""The messages shipped with the code, read at import."""
_ENVIRONMENT = Environment(
    loader=FileSystemLoader(_HERE / "templates"),
    autoescape=select_autoescape(["html"]),  # HTML escaped; the plain-text part is not HTML
    undefined=StrictUndefined,  # a typo in a template fails the tests instead of printing ""
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


def _text(language: str, key: str, **values: object) -> str:
    text = _CATALOGUES[language].get(key) or _CATALOGUES[DEFAULT_LANGUAGE][key]
    return text.format(**values)


def format_expiry(language: str, moment: datetime) -> str:
    """An expiry as people read it: ``9 December 2026, 20:00 UTC``, ``2026年12月9日 20:00（UTC）``."""
    return _text(
        language,
        "date",
        day=moment.day,
        month=moment.month,
        month_name=_text(DEFAULT_LANGUAGE, f"month.{moment.month}"),
        year=moment.year,
        time=moment.strftime("%H:%M"),
    )


@dataclass(frozen=True, slots=True)
class Rendered:
    """One message's three texts."""

    subject: str
    text: str
    html: str


def render(
    payload: dict[str, Any], claim_url: str | None, service_name: str, code: str | None = None
) -> Rendered:
    """The subject, plain text and HTML of a delivery's payload (``claim_url`` and ``code``:
    opened)."""
    language = mail_language(payload.get("language"))
    template = payload["template"]
    if template in ACCOUNT_TEMPLATES:
        return _render_account(payload, language, claim_url or "", service_name)
    if template not in TEMPLATES:
        raise ValueError(f"unknown e-mail template {template!r}")
    names = {"issuer": payload["issuerName"], "achievement": payload["achievementName"]}
    recipient = payload.get("recipientName")
    expires_at = payload.get("claimExpiresAt")
    expires = None
    action = "claim"
    if template == "push_request":  # the button opens the request on the learner's account
        names["host"] = payload["hostName"]
        action, claim_url = "push", payload["reviewUrl"]
        expires_at = payload.get("requestExpiresAt")
    if claim_url and expires_at:
        moment = datetime.fromisoformat(expires_at)
        expires = _text(language, f"{action}.expires", date=format_expiry(language, moment))
    values = {
        "lang": language,
        "subject": _text(language, f"subject.{template}", **names),
        "issuer": names["issuer"],
        "achievement": names["achievement"],
        "greeting": _text(language, "greeting", name=recipient)
        if recipient
        else _text(language, "greeting.anonymous"),
        "body": _text(
            language, f"body.{template}", **names, **_code_values(language, payload, code)
        ),
        "claim_url": claim_url,
        "claim_button": _text(language, f"{action}.button"),
        "claim_explain": _text(language, f"{action}.explain", **names),
        "expires": expires,
        "sentence_gap": "" if language == "zh-CN" else " ",  # Chinese sentences take no space
        "fallback": _text(language, "claim.fallback"),
        "credential_url": payload["credentialUrl"],
        "view_link": _text(language, "view.link"),
        "view_button": _text(language, "view.button"),
        "image_url": payload["badgeImageUrl"],
        "image_alt": _text(language, "image_alt", **names),
        "footer": _text(language, "footer", issuer=names["issuer"], service=service_name),
    }
    environment = _ENVIRONMENT
    return Rendered(
        subject=values["subject"],
        text=environment.get_template("message.txt").render(**values).strip() + "\n",
        html=environment.get_template("message.html").render(**values),
    )


def _render_account(
    payload: dict[str, Any], language: str, link: str, service_name: str
) -> Rendered:
    """A sign-in (or address-verification) e-mail: one button, the link, its expiry, and what
    to do when the learner did not ask for it."""
    template = payload["template"]
    expires = ""
    if payload.get("linkExpiresAt"):
        moment = datetime.fromisoformat(str(payload["linkExpiresAt"]))
        expires = _text(language, "account.expires", date=format_expiry(language, moment))
    values = {
        "lang": language,
        "subject": _text(language, f"subject.{template}", service=service_name),
        "heading": _text(language, f"account.heading.{template}", service=service_name),
        "greeting": _text(language, "greeting.anonymous"),
        "body": _text(
            language,
            f"body.{template}",
            service=service_name,
            issuer=payload.get("issuerName") or service_name,  # staff_invite only
            role=_text(language, f"role.{payload['role']}") if payload.get("role") else "",
        ),
        "link": link,
        "button": _text(language, f"account.button.{template}"),
        "expires": expires,
        "fallback": _text(language, "claim.fallback"),
        "ignore": _text(language, "account.ignore"),
        "footer": _text(language, "account.footer", service=service_name),
    }
    return Rendered(
        subject=values["subject"],
        text=_ENVIRONMENT.get_template("account.txt").render(**values).strip() + "\n",
        html=_ENVIRONMENT.get_template("account.html").render(**values),
    )


def _code_values(language: str, payload: dict[str, Any], code: str | None) -> dict[str, str]:
    """The wallet code and until when it works (the ``wallet_code`` template's body)."""
    if code is None:
        return {}
    moment = datetime.fromisoformat(str(payload["codeExpiresAt"]))
    return {"code": code, "until": format_expiry(language, moment)}


def _address(address: str, display_name: str | None = None) -> Address:
    local, _, domain = address.rpartition("@")
    return Address(display_name=display_name or "", username=local, domain=domain)


def build_message(
    payload: dict[str, Any],
    *,
    claim_url: str | None,
    code: str | None = None,
    message_id: str,
    mail_from: str,
    base_url: str,
    now: datetime,
) -> EmailMessage:
    """The whole RFC 5322 message of a delivery (``message_id``: stable across retries)."""
    host = urlsplit(base_url).hostname or "localhost"
    rendered = render(payload, claim_url, host, code)
    message = EmailMessage(policy=SMTP)
    message["From"] = _address(mail_from, payload.get("senderName"))
    message["To"] = _address(payload["to"], payload.get("recipientName"))
    if payload.get("replyTo"):
        message["Reply-To"] = _address(payload["replyTo"])
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{message_id}@{host}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    # after the body: setting content replaces every Content-* header (RFC 3282's included)
    message["Content-Language"] = mail_language(payload.get("language"))
    return message
