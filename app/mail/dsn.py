"""Read a bounce: an RFC 3464 delivery status notification, or a mail system's plain one.

A DSN is ``multipart/report; report-type=delivery-status`` (RFC 6522) whose
``message/delivery-status`` part (``message/global-delivery-status``, RFC 6533, when
internationalised) holds a block of per-message fields and a block per recipient: ``Action``
(``failed``, ``delayed``, ``delivered``, ``relayed``, ``expanded``), ``Status`` (an RFC 3463
enhanced code: 5.x.x permanent, 4.x.x transient), ``Diagnostic-Code`` (the remote server's
reply, ``smtp; 550 5.1.1 …``) and ``Remote-MTA``. Only these fields are kept, cleaned to one
line and cut short; nothing of the message itself is stored.

Pure functions over :class:`email.message.EmailMessage`; no database, no settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr
from typing import Literal

MAX_TEXT = 500
"""Characters of a recorded bounce (as of an SMTP refusal, :data:`app.mail.smtp.MAX_ERROR`)."""
_STATUS = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
_REPLY_CODE = re.compile(r"^\s*([2-5]\d\d)\b")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status notification|failure|has failed|failed)|failure notice|"
    r"returned mail|mail delivery (failed|failure|system)|non-?delivery|could not be delivered",
    re.IGNORECASE,
)
_MAIL_SYSTEMS = {"mailer-daemon", "postmaster"}
_DESCRIPTIONS = {
    "5.1.1": "bad destination mailbox address",
    "5.1.2": "bad destination system address",
    "5.1.10": "recipient address has null MX",
    "5.2.1": "mailbox disabled",
    "5.2.2": "mailbox full",
    "5.3.0": "mail system error",
    "5.4.4": "unable to route",
    "5.7.1": "delivery not authorized, message refused",
}
"""RFC 3463 texts of common permanent codes, shown when the report has no diagnostic."""

Kind = Literal["hard", "soft", "other"]


@dataclass(frozen=True, slots=True)
class Report:
    """What a delivery status notification says about the (one) recipient."""

    kind: Kind
    """``hard``: failed for good (5.x.x); ``soft``: delayed, or failed with a transient
    4.x.x; ``other``: not a failure (delivered, relayed, expanded)."""
    action: str
    status: str | None
    diagnostic: str | None
    reply_code: int | None
    """The SMTP reply code of an ``smtp;`` diagnostic (``550``)."""
    mta: str | None

    def summary(self) -> str:
        """One line for the notification: ``bounced (5.1.1) by mx.example.org: 550 5.1.1 …``."""
        status = self.status or "no status given"
        text = f"bounced ({status})"
        if self.mta:
            text += f" by {self.mta}"
        detail = self.diagnostic or _DESCRIPTIONS.get(self.status or "")
        if detail:
            text += f": {detail}"
        return clean(text)


def clean(text: str, limit: int = MAX_TEXT) -> str:
    """One line of printable text, at most ``limit`` characters."""
    return " ".join(_CONTROL.sub(" ", text).split())[:limit]


def is_report(message: Message) -> bool:
    """True for any ``multipart/report`` (RFC 6522), whatever its ``report-type``."""
    return message.get_content_type() == "multipart/report"


def is_dsn(message: Message) -> bool:
    """``multipart/report; report-type=delivery-status`` (RFC 3464 §2)."""
    report_type = str(message.get_param("report-type", "") or "").strip().lower()
    return is_report(message) and report_type in ("delivery-status", "global-delivery-status")


def _blocks(part: Message) -> list[Message]:
    """The field blocks of a ``message/*delivery-status`` part. The parser splits
    ``message/delivery-status`` into one message per block itself; it reads the global form
    as one embedded message: the first block its headers, the others its (UTF-8) body."""
    payload = part.get_payload()
    if not isinstance(payload, list):  # not parsed as messages at all: split the text
        return _split(part.get_payload(decode=True))
    blocks = [block for block in payload if isinstance(block, Message)]
    if part.get_content_type() == "message/delivery-status" or len(blocks) != 1:
        return blocks
    first = blocks[0]
    return [first, *_split(first.get_payload(decode=True))]


def _split(raw: object) -> list[Message]:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
    chunks = re.split(r"\r?\n[ \t]*\r?\n", text.strip())
    return [HeaderParser().parsestr(chunk) for chunk in chunks if chunk.strip()]


def _field(block: Message, name: str) -> str | None:
    value = block.get(name)
    return clean(str(value)) if value is not None and str(value).strip() else None


def _typed(value: str | None) -> str | None:
    """The value of a typed field (``dns; mx.example.org``, ``smtp; 550 …``) without its type."""
    if value is None:
        return None
    return clean(value.split(";", 1)[1] if ";" in value else value) or None


def _read_block(block: Message, reporting_mta: str | None) -> Report | None:
    action_field = _field(block, "Action")
    if action_field is None:
        return None
    action = action_field.split()[0].lower()
    status_field = _field(block, "Status")
    found = _STATUS.match(status_field or "")
    status = ".".join(found.groups()) if found else None
    diagnostic_field = _field(block, "Diagnostic-Code")
    diagnostic = _typed(diagnostic_field)
    reply_code = None
    if diagnostic_field and diagnostic_field.split(";", 1)[0].strip().lower() == "smtp":
        code = _REPLY_CODE.match(diagnostic or "")
        reply_code = int(code.group(1)) if code else None
    kind: Kind = "other"
    if action == "delayed":
        kind = "soft"
    elif action == "failed":
        # The enhanced status decides; without one the SMTP reply's class, and a report
        # that says "failed" and nothing else is taken at its word.
        klass = status[0] if status else str(reply_code)[0] if reply_code else "5"
        kind = "hard" if klass == "5" else "soft" if klass == "4" else "other"
    mta = _typed(_field(block, "Remote-MTA")) or reporting_mta
    return Report(kind, action, status, diagnostic, reply_code, mta)


def read(message: EmailMessage) -> Report | None:
    """What a DSN says (its hard failure first, if it reports several recipients); None when
    it is not one or has no per-recipient fields."""
    if not is_dsn(message):
        return None
    for part in message.walk():
        if part.get_content_type() not in (
            "message/delivery-status",
            "message/global-delivery-status",
        ):
            continue
        blocks = _blocks(part)
        if not blocks:
            return None
        reporting_mta = _typed(_field(blocks[0], "Reporting-MTA"))
        reports = [r for r in (_read_block(b, reporting_mta) for b in blocks[1:]) if r]
        if not reports:
            return None
        order = {"hard": 0, "soft": 1, "other": 2}
        return min(reports, key=lambda r: order[r.kind])
    return None


def is_auto_reply(message: Message) -> bool:
    """An automatic reply (RFC 3834 ``Auto-Submitted: auto-replied``, or the common
    ``X-Autoreply``/``X-Autorespond``/``Precedence: auto_reply``): a vacation notice sent to
    the return path, not a bounce."""
    submitted = str(message.get("Auto-Submitted", "")).split(";")[0].strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        submitted == "auto-replied"
        or message.get("X-Autoreply") is not None
        or message.get("X-Autorespond") is not None
        or precedence == "auto_reply"
    )


def from_mail_system(message: Message) -> bool:
    """From ``MAILER-DAEMON`` or ``postmaster`` (how plain bounces are signed, and Exim's
    carry ``Auto-Submitted: auto-replied`` too)."""
    _, sender = parseaddr(str(message.get("From", "")))
    return sender.rpartition("@")[0].lower() in _MAIL_SYSTEMS


def looks_like_bounce(message: Message, raw: bytes, message_id: str) -> bool:
    """A non-delivery report that is no DSN (qmail's, older Exchange's, a provider's own
    text): with a bounce's subject, or quoting the original ``Message-ID`` in its body (an
    auto-reply cites it in ``In-Reply-To`` instead, a header)."""
    if _BOUNCE_SUBJECT.search(str(message.get("Subject", ""))):
        return True
    body = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)
    return len(body) == 2 and message_id.encode("ascii", "replace") in body[1]


def classify_plain(
    message: Message, raw: bytes, message_id: str
) -> Literal["bounce", "auto-reply", "other"]:
    """What a message that is no DSN is: a mail system's bounce (signed by one, or, unless
    it calls itself an automatic reply, looking like one), an automatic reply, or anything
    else (another kind of report, a person's answer)."""
    if is_report(message):
        return "other"
    if from_mail_system(message):
        return "bounce"
    if is_auto_reply(message):
        return "auto-reply"
    return "bounce" if looks_like_bounce(message, raw, message_id) else "other"


def addresses(message: Message, names: tuple[str, ...]) -> list[str]:
    """Every address in the headers ``names`` (each header may occur several times)."""
    values = [str(value) for name in names for value in message.get_all(name, [])]
    return [address for _, address in getaddresses(values) if address]
