"""Bounces that come back after the receiving server accepted a message, recorded on it.

A refusal during the SMTP dialogue is recorded by the relay (:mod:`app.mail.smtp`). More often
the receiving MTA accepts the message and later mails a delivery status notification (RFC 3464)
to the envelope sender: with ``BADGES_MAIL_BOUNCE_ADDRESS`` that is the message's VERP address
(:mod:`app.mail.verp`), whose alias pipes it into ``badges mail bounce``, which calls
:func:`ingest`. The token in the envelope recipient (``--recipient``, or the ``Delivered-To``,
``X-Original-To`` or ``To`` header) names the delivery; its MAC must verify.

What is recorded, exactly where an SMTP refusal is (the delivery's ``state``, ``last_status``,
``last_error``, shown under ``notifications`` on ``GET /api/v1/credentials/{id}``):

* a DSN whose recipient ``Action: failed`` with a 5.x.x ``Status`` (a hard bounce): the
  delivery fails, ``last_error`` ``bounced (5.1.1) by <remote MTA>: <Diagnostic-Code>`` and
  ``last_status`` the SMTP reply code of the diagnostic, if any;
* a bounce that is no DSN (qmail's, a provider's plain text) but looks like one (from
  ``MAILER-DAEMON`` or ``postmaster``; or, unless it calls itself an automatic reply, with a
  bounce's subject or quoting the Message-ID in its body): failed,
  ``bounced (not a delivery status report, not parsed): "<its subject>"``.

Nothing is written for a transient report (``delayed``, or ``failed`` with 4.x.x: logged at
info), a report of success, an automatic reply (RFC 3834), or anything else; nor for a message
without a token, with a token that does not verify, or naming no (or no longer any) delivery:
those end with a non-zero status, in :mod:`sysexits` terms an MTA understands (a pipe that
exits 75 has its message deferred and tried again; other non-zero statuses bounce it).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.mail import dsn, repository, verp

logger = logging.getLogger("app.mail")

EX_OK = 0
EX_DATAERR = 65
"""Not a bounce this service can read (``sysexits.h``)."""
EX_NOUSER = 67
"""No delivery by that address: no token, a forged one, or its delivery is gone."""
EX_TEMPFAIL = 75
"""Try again later: the database is unreachable, or the delivery's outcome is not yet
recorded (a bounce can overtake the relay's commit)."""

MAX_BYTES = 5_000_000
"""A bounce carries at most the original message (tens of kilobytes here)."""
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "To")
UNPARSED = "bounced (not a delivery status report, not parsed)"


@dataclass(frozen=True, slots=True)
class Ingested:
    """How one message went: the exit status and the line to print."""

    code: int
    message: str
    delivery_id: uuid.UUID | None = None
    recorded: bool = False


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def find_token(message: EmailMessage, recipient: str | None) -> str | None:
    """The token of the envelope recipient, else of the first header address with one."""
    candidates = [recipient] if recipient else []
    candidates += dsn.addresses(message, RECIPIENT_HEADERS)
    for address in candidates:
        token = verp.token_in(address)
        if token is not None:
            return token
    return None


def ingest(
    sessions: Callable[[], Session], kek: bytes, raw: bytes, recipient: str | None = None
) -> Ingested:
    """Read one bounce and record it on its delivery (see the module docstring)."""
    if len(raw) > MAX_BYTES:
        return Ingested(EX_DATAERR, f"not a bounce: larger than {MAX_BYTES} bytes")
    if not raw.strip():
        return Ingested(EX_DATAERR, "not a bounce: the message is empty")
    message = parse(raw)
    token = find_token(message, recipient)
    if token is None:
        what = "a delivery status notification" if dsn.is_dsn(message) else "a message"
        return Ingested(
            EX_NOUSER,
            f"{what} without a bounce token: its envelope recipient (--recipient, "
            "Delivered-To, X-Original-To or To) is no bounces+<token>@ address; nothing recorded",
        )
    delivery_id = verp.delivery_of(kek, token)
    if delivery_id is None:
        logger.warning("bounce: a token that does not verify; nothing recorded")
        return Ingested(
            EX_NOUSER,
            "the bounce token does not verify (forged, altered, or made under another "
            "key-encryption key); nothing recorded",
        )
    try:
        return _record(sessions, message, raw, delivery_id)
    except DBAPIError as error:
        logger.warning("bounce: the database failed (%s); to be tried again", type(error).__name__)
        return Ingested(
            EX_TEMPFAIL,
            f"the database is unavailable ({type(error).__name__}); try again later",
            delivery_id,
        )


def _record(
    sessions: Callable[[], Session], message: EmailMessage, raw: bytes, delivery_id: uuid.UUID
) -> Ingested:
    with sessions() as session:
        delivery = repository.email_delivery(session, delivery_id)
        if delivery is None:
            return Ingested(
                EX_NOUSER,
                f"no e-mail delivery {delivery_id} (deleted after BADGES_OUTBOX_RETENTION_DAYS?); "
                "nothing recorded",
                delivery_id,
            )
        report = dsn.read(message)
        if report is None:
            if dsn.is_dsn(message):
                return Ingested(
                    EX_DATAERR,
                    "a delivery status notification without per-recipient fields "
                    "(Action, Status); nothing recorded",
                    delivery_id,
                )
            plain = dsn.classify_plain(message, raw, delivery.message_id)
            if plain == "auto-reply":
                logger.info("bounce: an automatic reply about delivery %s ignored", delivery_id)
                return Ingested(
                    EX_OK, "an automatic reply, not a bounce; nothing recorded", delivery_id
                )
            if plain == "other":
                return Ingested(
                    EX_DATAERR,
                    "not a delivery status notification (multipart/report; "
                    "report-type=delivery-status) nor a mail system's bounce; nothing recorded",
                    delivery_id,
                )
            subject = dsn.clean(str(message.get("Subject", "")), 120)
            text = f'{UNPARSED}: "{subject}"' if subject else UNPARSED
            return _write(session, delivery_id, delivery.state, None, text, "unparsed")
        if report.kind == "soft":
            logger.info(
                "bounce: a transient report (%s, %s) about delivery %s ignored",
                report.action,
                report.status or "no status",
                delivery_id,
            )
            return Ingested(
                EX_OK,
                f"a transient report (Action: {report.action}, Status: "
                f"{report.status or 'none'}): the message may still arrive; nothing recorded",
                delivery_id,
            )
        if report.kind == "other":
            return Ingested(
                EX_OK,
                f"not a failure (Action: {report.action}); nothing recorded",
                delivery_id,
            )
        return _write(
            session, delivery_id, delivery.state, report.reply_code, report.summary(), "hard"
        )


def _write(
    session: Session,
    delivery_id: uuid.UUID,
    state: str,
    status: int | None,
    text: str,
    kind: str,
) -> Ingested:
    if repository.record_bounce(session, delivery_id, status, text):
        session.commit()
        logger.info("bounce: delivery %s failed (%s bounce recorded)", delivery_id, kind)
        return Ingested(EX_OK, f"recorded on delivery {delivery_id}: {text}", delivery_id, True)
    if state == "pending":
        return Ingested(
            EX_TEMPFAIL,
            f"delivery {delivery_id} is still being sent (its outcome is not recorded yet); "
            "try again later",
            delivery_id,
        )
    return Ingested(
        EX_OK, f"delivery {delivery_id} is {state}, not sent; nothing recorded", delivery_id
    )
