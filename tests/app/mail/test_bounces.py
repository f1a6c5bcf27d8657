"""Bounces that come back after the receiving server accepted the message (RFC 3464 DSNs).

With ``BADGES_MAIL_BOUNCE_ADDRESS`` each notification goes out with a VERP envelope sender
(``bounces+<token>@…``); ``badges mail bounce`` reads what comes back there from stdin, as an
MTA alias pipes it, checks the token and records a hard bounce on the delivery, where an SMTP
refusal is recorded, so that the credential's ``notifications`` show it.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import secrets
import subprocess
import sys
import uuid
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from api_support import IssuerHandle, issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mail_support import Inbox, context_with, run_outbox
from pydantic import SecretStr, ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from app.cli import app as cli
from app.core.config import Settings
from app.core.context import AppContext
from app.mail import bounces, devbox, dsn, verp
from app.mail.settings import transport
from app.models import Delivery
from app.outbox import service as outbox

pytestmark = pytest.mark.usefixtures("quiet_outbox")

BADGES = str(Path(sys.executable).with_name("badges"))
VERP = re.compile(r"^bounces\+([a-z2-7]{42})@badges\.test$")


@pytest.fixture
def issuer(client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    return make_issuer(client, admin_headers, name={"en": "Bounce University"})


@pytest.fixture
def bounce_context(app: FastAPI, smtp_server: tuple[Inbox, int]) -> AppContext:
    """E-mail through the test's SMTP server, bounces to bounces@badges.test."""
    return context_with(
        app,
        smtp_url=SecretStr(f"smtp://127.0.0.1:{smtp_server[1]}?timeout=5"),
        mail_from="badges@badges.test",
        mail_bounce_address="bounces@badges.test",
    )


@pytest.fixture
def cli_env(app: FastAPI) -> dict[str, str | None]:
    """The ``badges`` environment of the service under test (its database, its KEK)."""
    settings: Settings = app.state.context.settings
    assert settings.key_encryption_key is not None
    assert settings.admin_token is not None
    return {
        "BADGES_DATABASE_URL": settings.database_url,
        "BADGES_DATA_DIR": str(settings.data_dir),
        "BADGES_BASE_URL": settings.base_url,
        "BADGES_ADMIN_TOKEN": settings.admin_token.get_secret_value(),
        "BADGES_KEY_ENCRYPTION_KEY": settings.key_encryption_key.get_secret_value(),
        "BADGES_LOG_LEVEL": "INFO",
        "ORIGINAL_RECIPIENT": None,
        "RECIPIENT": None,
    }


def _address(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}@example.org"


def _sent(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, inbox: Inbox, context: AppContext
) -> tuple[dict[str, Any], str, str, EmailMessage]:
    """Issue to a new learner and send the e-mail: the credential, the learner's address,
    the envelope sender the SMTP server saw, and the message."""
    to = _address("li.wei")
    achievement = make_achievement(client, issuer, name="Computer-Aided Translation")
    credential = issue(client, issuer, achievement["id"], recipient={"email": to, "name": "Li"})
    run_outbox(app, context)
    ((mail_from, _, message),) = [r for r in inbox.received if to in r[1]]
    return credential, to, mail_from, message


def _delivery(engine: Engine, credential_id: str) -> Delivery:
    with Session(engine) as session:
        return session.scalars(
            select(Delivery).where(
                Delivery.target_id == uuid.UUID(credential_id), Delivery.channel == "email"
            )
        ).one()


def _notifications(client: TestClient, issuer: IssuerHandle, credential_id: str) -> Any:
    response = client.get(f"/api/v1/credentials/{credential_id}", headers=issuer.headers)
    assert response.status_code == 200, response.text
    return response.json()["notifications"]


def _headers_of(message: EmailMessage) -> str:
    return "".join(f"{name}: {value}\n" for name, value in message.items())


def dsn_for(
    return_path: str,
    learner: str,
    original: EmailMessage,
    *,
    action: str = "failed",
    status: str = "5.1.1",
    diagnostic: str | None = None,
    delivered_to: bool = True,
    to: str | None = None,
) -> bytes:
    """A DSN as Postfix writes one (RFC 3464: multipart/report with a human-readable part,
    message/delivery-status, and the original's headers), as its local(8) pipes it."""
    if diagnostic is None:
        diagnostic = (
            f"smtp; 550 5.1.1 <{learner}>: Recipient address rejected: User unknown in\n"
            "    virtual mailbox table"
        )
    return (
        "Return-Path: <>\n"
        + (f"Delivered-To: {return_path}\n" if delivered_to else "")
        + "Received: by mx.example.org (Postfix) id 4Zx2; Thu,  3 Dec 2026 10:00:05 +0000 (UTC)\n"
        "Date: Thu,  3 Dec 2026 10:00:05 +0000 (UTC)\n"
        "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"To: {to or return_path}\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status;\n\tboundary="4Zx2.1733220005/mx.example.org"\n'
        "Message-Id: <20261203100005.4Zx2@mx.example.org>\n"
        "\n"
        "This is a MIME-encapsulated message.\n"
        "\n"
        "--4Zx2.1733220005/mx.example.org\n"
        "Content-Description: Notification\n"
        "Content-Type: text/plain; charset=us-ascii\n"
        "\n"
        "This is the mail system at host mx.example.org.\n"
        "\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients. SECRET-HUMAN-TEXT\n"
        "\n"
        "--4Zx2.1733220005/mx.example.org\n"
        "Content-Description: Delivery report\n"
        "Content-Type: message/delivery-status\n"
        "\n"
        "Reporting-MTA: dns; mx.example.org\n"
        "X-Postfix-Queue-ID: 4Zx2\n"
        f"X-Postfix-Sender: rfc822; {return_path}\n"
        "Arrival-Date: Thu,  3 Dec 2026 10:00:04 +0000 (UTC)\n"
        "\n"
        f"Final-Recipient: rfc822; {learner}\n"
        f"Original-Recipient: rfc822;{learner}\n"
        f"Action: {action}\n"
        f"Status: {status}\n"
        "Remote-MTA: dns; mailstore.example.org\n"
        f"Diagnostic-Code: {diagnostic}\n"
        "\n"
        "--4Zx2.1733220005/mx.example.org\n"
        "Content-Description: Undelivered Message Headers\n"
        "Content-Type: text/rfc822-headers\n"
        "\n"
        f"Return-Path: <{return_path}>\n"
        f"{_headers_of(original)}"
        "\n"
        "--4Zx2.1733220005/mx.example.org--\n"
    ).encode()


def _bounce(env: dict[str, str | None], raw: bytes, *args: str) -> Result:
    return CliRunner().invoke(cli, ["mail", "bounce", *args], input=raw, env=env)


def test_the_envelope_sender_is_a_verp_address_naming_the_delivery(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    issuer: IssuerHandle,
    inbox: Inbox,
    bounce_context: AppContext,
) -> None:
    credential, _, mail_from, message = _sent(app, client, issuer, inbox, bounce_context)
    found = VERP.match(mail_from)
    assert found is not None, mail_from
    delivery = _delivery(engine, credential["id"])
    kek = bounce_context.settings.kek_bytes()
    assert verp.delivery_of(kek, found.group(1)) == delivery.id
    assert parseaddr(message["From"])[1] == "badges@badges.test"  # the header From unchanged


def test_without_a_bounce_address_the_envelope_sender_is_mail_from(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, inbox: Inbox, mail_context: AppContext
) -> None:
    _, _, mail_from, _ = _sent(app, client, issuer, inbox, mail_context)
    assert mail_from == "badges@badges.test"


def test_the_development_mailbox_shows_the_return_path_to_bounce_by_hand(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    issuer: IssuerHandle,
    cli_env: dict[str, str | None],
) -> None:
    """Without SMTP in development, the kept message carries the Return-Path a receiving
    MTA would add, so a DSN to it can be tried with ``badges mail bounce``."""
    context = context_with(app, mail_bounce_address="bounces@badges.test")
    assert transport(context.settings) == "devbox"
    to = _address("dev")
    achievement = make_achievement(client, issuer)
    credential = issue(client, issuer, achievement["id"], recipient={"email": to})
    run_outbox(app, context)
    (mail,) = [m for m in devbox.messages(context.settings.data_dir) if to in m.to]
    return_path = str(mail.message["Return-Path"]).strip("<>")
    assert VERP.match(return_path), return_path
    result = _bounce(cli_env, dsn_for(return_path, to, mail.message))
    assert result.exit_code == 0, result.output
    assert _delivery(engine, credential["id"]).state == "failed"


def test_a_dsn_piped_into_the_command_is_shown_on_the_credential(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    issuer: IssuerHandle,
    inbox: Inbox,
    bounce_context: AppContext,
    cli_env: dict[str, str | None],
) -> None:
    """End to end as an MTA does it: ``|badges mail bounce`` with $RECIPIENT set."""
    credential, to, mail_from, message = _sent(app, client, issuer, inbox, bounce_context)
    assert _notifications(client, issuer, credential["id"])[0]["state"] == "sent"
    raw = dsn_for(mail_from, to, message, delivered_to=False)
    env = {k: v for k, v in (os.environ | cli_env).items() if v is not None}
    done = subprocess.run(
        [BADGES, "mail", "bounce"],
        input=raw,
        env=env | {"RECIPIENT": mail_from},
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b"recorded on delivery" in done.stdout

    (notification,) = _notifications(client, issuer, credential["id"])
    assert notification["state"] == "failed"
    assert notification["sentAt"] is not None  # it was accepted, then bounced
    error = notification["lastError"]
    assert error == (
        f"bounced (5.1.1) by mailstore.example.org: 550 5.1.1 <{to}>: Recipient address "
        "rejected: User unknown in virtual mailbox table"
    )
    delivery = _delivery(engine, credential["id"])
    assert (delivery.state, delivery.last_status, delivery.attempts) == ("failed", 550, 1)
    assert "SECRET-HUMAN-TEXT" not in error  # the report's fields only, not the message
    run_outbox(app, bounce_context)  # a failed delivery is not sent again
    assert len([r for r in inbox.received if to in r[1]]) == 1


def test_the_token_is_found_in_delivered_to_and_a_long_diagnostic_is_cut(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    inbox: Inbox,
    bounce_context: AppContext,
    cli_env: dict[str, str | None],
) -> None:
    credential, to, mail_from, message = _sent(app, client, issuer, inbox, bounce_context)
    long = "smtp; 552 5.2.2 mailbox full " + "x" * 2000
    result = _bounce(cli_env, dsn_for(mail_from, to, message, status="5.2.2", diagnostic=long))
    assert result.exit_code == 0, result.output
    (notification,) = _notifications(client, issuer, credential["id"])
    assert notification["lastError"].startswith("bounced (5.2.2) by mailstore.example.org: 552")
    assert len(notification["lastError"]) == dsn.MAX_TEXT


def test_the_envelope_recipient_comes_from_the_mta_environment(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    inbox: Inbox,
    bounce_context: AppContext,
    cli_env: dict[str, str | None],
) -> None:
    """Postfix's $ORIGINAL_RECIPIENT, with headers that name no token (a rewritten To)."""
    credential, to, mail_from, message = _sent(app, client, issuer, inbox, bounce_context)
    raw = dsn_for(mail_from, to, message, delivered_to=False, to="bounces@badges.test")
    assert _bounce(cli_env, raw).exit_code == bounces.EX_NOUSER
    result = _bounce(cli_env | {"ORIGINAL_RECIPIENT": mail_from}, raw)
    assert result.exit_code == 0, result.output
    assert _notifications(client, issuer, credential["id"])[0]["state"] == "failed"


def test_a_forged_token_is_refused_and_nothing_is_written(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    issuer: IssuerHandle,
    inbox: Inbox,
    bounce_context: AppContext,
    cli_env: dict[str, str | None],
) -> None:
    credential, to, mail_from, message = _sent(app, client, issuer, inbox, bounce_context)
    token = mail_from.split("+")[1].split("@")[0]
    flipped = token[:-1] + ("a" if token[-1] != "a" else "b")  # the MAC's last character
    forged = mail_from.replace(token, flipped)
    result = _bounce(cli_env, dsn_for(forged, to, message), "--recipient", forged)
    assert result.exit_code == bounces.EX_NOUSER
    assert "does not verify" in result.output
    # Another KEK's token for the very delivery does not verify either.
    other_kek = secrets.token_bytes(32)
    delivery = _delivery(engine, credential["id"])
    foreign = verp.return_path("bounces@badges.test", other_kek, delivery.id)
    result = _bounce(cli_env, dsn_for(foreign, to, message), "--recipient", foreign)
    assert result.exit_code == bounces.EX_NOUSER
    # --discard-invalid: exit 0 for the MTA (no backscatter), still nothing recorded.
    result = _bounce(cli_env, dsn_for(forged, to, message), "--discard-invalid")
    assert result.exit_code == 0
    assert "does not verify" in result.output
    assert _notifications(client, issuer, credential["id"])[0]["state"] == "sent"
    assert _delivery(engine, credential["id"]).last_error is None


def test_a_message_without_a_token_or_for_no_delivery_is_refused(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    inbox: Inbox,
    bounce_context: AppContext,
    cli_env: dict[str, str | None],
) -> None:
    credential, to, _, message = _sent(app, client, issuer, inbox, bounce_context)
    result = _bounce(cli_env, dsn_for("bounces@badges.test", to, message))
    assert result.exit_code == bounces.EX_NOUSER
    assert "without a bounce token" in result.output
    # A genuine token of a delivery that is gone (deleted after the retention period).
    gone = verp.return_path(
        "bounces@badges.test", bounce_context.settings.kek_bytes(), uuid.uuid4()
    )
    result = _bounce(cli_env, dsn_for(gone, to, message))
    assert result.exit_code == bounces.EX_NOUSER
    assert "no e-mail delivery" in result.output
    assert _bounce(cli_env, b"").exit_code == bounces.EX_DATAERR
    assert _notifications(client, issuer, credential["id"])[0]["state"] == "sent"


def test_a_message_that_is_not_a_bounce_is_refused(
    app: FastAPI,
    client: TestClient,
    issuer: IssuerHandle,
    inbox: Inbox,
    bounce_context: AppContext,
    cli_env: dict[str, str | None],
) -> None:
    """A person's answer to the return path, and another kind of report (a read receipt)."""
    credential, to, mail_from, _ = _sent(app, client, issuer, inbox, bounce_context)
    reply = (
        f"From: Li Wei <{to}>\nTo: {mail_from}\nSubject: Re: your badge\n"
        "In-Reply-To: <msg@badges.test>\n\nThank you very much!\n"
    ).encode()
    result = _bounce(cli_env, reply)
    assert result.exit_code == bounces.EX_DATAERR
    assert "not a delivery status notification" in result.output
    receipt = (
        f"From: {to}\nTo: {mail_from}\nSubject: Read: your badge\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nRead.\n--b\n"
        "Content-Type: message/disposition-notification\n\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\n--b--\n"
    ).encode()
    assert _bounce(cli_env, receipt).exit_code == bounces.EX_DATAERR
    headless = (
        f"From: MAILER-DAEMON@mx.example.org\nTo: {mail_from}\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n"
        "--b--\n"
    ).encode()
    result = _bounce(cli_env, headless)  # a DSN without a recipient's Action and Status
    assert result.exit_code == bounces.EX_DATAERR
    assert "without per-recipient fields" in result.output
    assert _notifications(client, issuer, credential["id"])[0]["state"] == "sent"


@pytest.mark.parametrize(
    ("action", "status"), [("delayed", "4.4.1"), ("failed", "4.4.7"), ("delivered", "2.0.0")]
)
def test_a_transient_or_successful_report_is_logged_not_recorded(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    issuer: IssuerHandle,
    inbox: Inbox,
    bounce_context: AppContext,
    cli_env: dict[str, str | None],
    caplog: pytest.LogCaptureFixture,
    action: str,
    status: str,
) -> None:
    credential, to, mail_from, message = _sent(app, client, issuer, inbox, bounce_context)
    diagnostic = f"smtp; {status[0]}21 {status} try again later"
    raw = dsn_for(mail_from, to, message, action=action, status=status, diagnostic=diagnostic)
    with caplog.at_level(logging.INFO, logger="app.mail"):
        result = _bounce(cli_env, raw)
    assert result.exit_code == 0, result.output
    assert "nothing recorded" in result.output
    if action != "delivered":
        assert any("transient report" in r.getMessage() for r in caplog.records)
    delivery = _delivery(engine, credential["id"])
    assert (delivery.state, delivery.last_error) == ("sent", None)


def test_a_plain_bounce_from_a_mail_system_is_recorded_unparsed(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    issuer: IssuerHandle,
    inbox: Inbox,
    bounce_context: AppContext,
    cli_env: dict[str, str | None],
) -> None:
    """qmail's bounce is plain text (QSBMF), no DSN: recorded as a bounce, not parsed."""
    credential, to, mail_from, message = _sent(app, client, issuer, inbox, bounce_context)
    qmail = (
        f"Delivered-To: {mail_from}\n"
        "From: MAILER-DAEMON@mx.example.net\n"
        f"To: {mail_from}\n"
        "Subject: failure notice\n\n"
        "Hi. This is the qmail-send program at mx.example.net.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        f"<{to}>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
        "--- Below this line is a copy of the message.\n\n"
        f"{_headers_of(message)}\n"
    ).encode()
    result = _bounce(cli_env, qmail)
    assert result.exit_code == 0, result.output
    (notification,) = _notifications(client, issuer, credential["id"])
    assert notification["state"] == "failed"
    assert notification["lastError"] == (
        'bounced (not a delivery status report, not parsed): "failure notice"'
    )
    assert _delivery(engine, credential["id"]).last_status is None


def test_an_automatic_reply_is_not_a_bounce(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    issuer: IssuerHandle,
    inbox: Inbox,
    bounce_context: AppContext,
    cli_env: dict[str, str | None],
) -> None:
    credential, to, mail_from, message = _sent(app, client, issuer, inbox, bounce_context)
    vacation = (
        f"From: {to}\nTo: {mail_from}\nSubject: Out of office: undeliverable until Monday\n"
        f"Auto-Submitted: auto-replied\nIn-Reply-To: {message['Message-ID']}\n\n"
        "I am away.\n"
    ).encode()
    result = _bounce(cli_env, vacation)
    assert result.exit_code == 0, result.output
    assert "automatic reply" in result.output
    assert _delivery(engine, credential["id"]).state == "sent"


def test_a_bounce_overtaking_the_relay_is_deferred(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    issuer: IssuerHandle,
    inbox: Inbox,
    bounce_context: AppContext,
    cli_env: dict[str, str | None],
) -> None:
    """A DSN for a delivery whose outcome is not yet recorded: 75, the MTA tries later."""
    to = _address("early")
    achievement = make_achievement(client, issuer)
    credential = issue(client, issuer, achievement["id"], recipient={"email": to})
    outbox.dispatch_events(app.state.sessionmaker, bounce_context)  # queued, not sent
    delivery = _delivery(engine, credential["id"])
    assert delivery.state == "pending"
    address = verp.return_path(
        "bounces@badges.test", bounce_context.settings.kek_bytes(), delivery.id
    )
    raw = dsn_for(address, to, EmailMessage())
    result = _bounce(cli_env, raw)
    assert result.exit_code == bounces.EX_TEMPFAIL, result.output
    run_outbox(app, bounce_context)
    assert _bounce(cli_env, raw).exit_code == 0
    assert _delivery(engine, credential["id"]).state == "failed"


def test_an_unreadable_setting_defers_rather_than_bounces(cli_env: dict[str, str | None]) -> None:
    result = _bounce(cli_env | {"BADGES_MAIL_BOUNCE_ADDRESS": "not an address"}, b"x")
    assert result.exit_code == bounces.EX_TEMPFAIL
    assert "error: BADGES_MAIL_BOUNCE_ADDRESS: Value error, " in result.output
    assert "not an address" not in result.output  # the input is not echoed


def test_the_bounce_address_setting() -> None:
    kek = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    ok = Settings(mail_bounce_address=" bounces@uni.example ", key_encryption_key=kek)
    assert ok.mail_bounce_address == "bounces@uni.example"
    with pytest.raises(ValidationError, match="at most 21"):
        Settings(mail_bounce_address="notification-bounces-here@uni.example")
    address = verp.return_path("a" * 21 + "@uni.example", ok.kek_bytes(), uuid.uuid4())
    assert len(address.split("@")[0]) == 64  # RFC 5321's limit of a local part


def test_tokens_survive_case_folding_and_name_one_delivery() -> None:
    kek = secrets.token_bytes(32)
    delivery_id = uuid.uuid4()
    token = verp.token(kek, delivery_id)
    assert len(token) == verp.TOKEN_LENGTH
    assert verp.delivery_of(kek, token) == delivery_id
    upper = verp.token_in(f"BOUNCES+{token.upper()}@UNI.EXAMPLE")
    assert upper is not None
    assert verp.delivery_of(kek, upper) == delivery_id  # an MTA that folds case
    assert verp.delivery_of(kek, verp.token(kek, uuid.uuid4())) != delivery_id
    assert verp.delivery_of(kek, "a" * 42) is None
    assert verp.delivery_of(kek, "!" * 42) is None
    assert verp.token_in("bounces@uni.example") is None


def test_a_global_dsn_is_read_too() -> None:
    """RFC 6533: message/global-delivery-status, UTF-8 text the parser leaves unsplit."""
    raw = (
        "From: postmaster@mx.example.cn\nTo: bounces+x@uni.example\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=global-delivery-status; boundary="g"\n\n'
        "--g\nContent-Type: text/plain; charset=utf-8\n\n退信\n"
        "--g\nContent-Type: message/global-delivery-status\nContent-Transfer-Encoding: 8bit\n\n"
        "Reporting-MTA: dns; mx.example.cn\n\n"
        "Final-Recipient: utf-8; 李伟@例子.中国\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 用户不存在\n\n--g--\n"
    ).encode()
    report = dsn.read(bounces.parse(raw))
    assert report is not None
    assert (report.kind, report.status, report.reply_code) == ("hard", "5.1.1", 550)
    assert report.summary() == "bounced (5.1.1) by mx.example.cn: 550 5.1.1 用户不存在"
