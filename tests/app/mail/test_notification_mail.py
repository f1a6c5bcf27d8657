"""Notification e-mail end to end (issue 12, "Reaching learners"): issue through the API, run
the outbox, and read what a real SMTP server (aiosmtpd, in this process) received."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

import pytest
from api_support import IssuerHandle, issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mail_support import Inbox, free_port, run_outbox
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.models import Delivery
from app.models.base import utcnow

pytestmark = pytest.mark.usefixtures("quiet_outbox")

CLAIM = re.compile(r"https://badges\.test/claim/([A-Za-z0-9_-]+)")


def _address(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}@example.org"


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert text.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    return str(text.get_content()), str(html.get_content())


def _deliveries(engine: Engine, credential_id: str) -> list[Delivery]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(Delivery).where(
                    Delivery.target_id == uuid.UUID(credential_id), Delivery.channel == "email"
                )
            )
        )


def _notifications(client: TestClient, issuer: IssuerHandle, credential_id: str) -> Any:
    response = client.get(f"/api/v1/credentials/{credential_id}", headers=issuer.headers)
    assert response.status_code == 200, response.text
    return response.json()["notifications"]


def _bilingual(client: TestClient, issuer: IssuerHandle) -> tuple[dict[str, Any], dict[str, Any]]:
    en = make_achievement(client, issuer, name="Machine Translation Post-Editing", inLanguage="en")
    zh = make_achievement(client, issuer, name="机器翻译译后编辑", inLanguage="zh-CN")
    for this, other in ((en, zh), (zh, en)):
        response = client.patch(
            f"/api/v1/achievements/{this['id']}",
            json={"related": [{"id": other["url"], "inLanguage": other["inLanguage"]}]},
            headers=issuer.headers,
        )
        assert response.status_code == 200, response.text
    return en, zh


def _patch(client: TestClient, issuer: IssuerHandle, headers: dict[str, str], **body: Any) -> Any:
    response = client.patch(f"/api/v1/issuers/{issuer.id}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def issuer(client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    return make_issuer(
        client,
        admin_headers,
        email="office@uni.example",
        name={"en": "Test University", "zh-CN": "测试大学"},
    )


def test_issuance_email_in_english_with_claim_link(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    issuer: IssuerHandle,
    inbox: Inbox,
    mail_context: AppContext,
) -> None:
    settings = _patch(
        client,
        issuer,
        issuer.headers,
        mailSenderName="Test University Registry",
        mailReplyTo="registry@uni.example",
    )
    assert settings["mailSenderName"] == "Test University Registry"
    achievement = make_achievement(client, issuer, name="Computer-Aided Translation")
    to = _address("li.wei")
    credential = issue(client, issuer, achievement["id"], recipient={"email": to, "name": "Li Wei"})

    run_outbox(app, mail_context)

    (message,) = inbox.to(to)
    assert parseaddr(message["From"]) == ("Test University Registry", "badges@badges.test")
    assert parseaddr(message["Reply-To"])[1] == "registry@uni.example"
    assert parseaddr(message["To"]) == ("Li Wei", to)
    assert message["Subject"] == "Test University has awarded you “Computer-Aided Translation”"
    assert message["Content-Language"] == "en"
    assert message["Auto-Submitted"] == "auto-generated"
    (delivery,) = _deliveries(engine, credential["id"])
    assert message["Message-ID"] == f"<{delivery.message_id}@badges.test>"
    text, html = _parts(message)
    assert "Hello Li Wei," in text
    assert "Claim your badge" in html
    assert f"https://badges.test/credentials/{credential['id']}/badge.png" in html
    claim = CLAIM.search(text)
    assert claim is not None
    assert claim.group(0) in html
    assert "This link works until" in text
    # the claim link opens the claim page
    assert client.get(f"/claim/{claim.group(1)}").status_code == 200
    # the sealed link, not the token, waits in the stored payload
    assert claim.group(1) not in str(delivery.payload)
    (notification,) = _notifications(client, issuer, credential["id"])
    assert notification["channel"] == "email"
    assert notification["state"] == "sent"
    assert notification["kind"] == "issued"
    assert notification["sentAt"] is not None
    assert notification["lastError"] is None


def test_issuance_email_in_the_learners_language(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, inbox: Inbox, mail_context: AppContext
) -> None:
    en, _ = _bilingual(client, issuer)
    to = _address("wang.fang")
    issue(client, issuer, en["id"], recipient={"email": to, "name": "王芳"}, language="zh-CN")

    run_outbox(app, mail_context)

    (message,) = inbox.to(to)
    assert message["Subject"] == "测试大学向您颁发了“机器翻译译后编辑”"
    assert parseaddr(message["From"]) == ("测试大学", "badges@badges.test")
    assert parseaddr(message["Reply-To"])[1] == "office@uni.example"  # the profile's email
    assert message["Content-Language"] == "zh-CN"
    text, html = _parts(message)
    assert "王芳，您好：" in text
    assert "领取徽章" in html
    assert '<html lang="zh-CN">' in html
    assert CLAIM.search(text) is not None


def test_the_issuers_default_language_when_neither_request_nor_achievement_names_one(
    app: FastAPI,
    client: TestClient,
    admin_headers: dict[str, str],
    inbox: Inbox,
    mail_context: AppContext,
) -> None:
    chinese = make_issuer(
        client,
        admin_headers,
        name={"zh-CN": "示例大学", "en": "Example U"},
        defaultLanguage="zh-CN",
    )
    achievement = make_achievement(client, chinese, name="翻译技术", inLanguage=None)
    to = _address("zhang")
    issue(client, chinese, achievement["id"], recipient={"email": to})
    run_outbox(app, mail_context)
    (message,) = inbox.to(to)
    assert message["Subject"] == "示例大学向您颁发了“翻译技术”"
    assert "您好：" in _parts(message)[0]


def test_notify_false_sends_nothing(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    issuer: IssuerHandle,
    inbox: Inbox,
    mail_context: AppContext,
) -> None:
    achievement = make_achievement(client, issuer)
    to = _address("quiet")
    credential = issue(client, issuer, achievement["id"], recipient={"email": to}, notify=False)
    run_outbox(app, mail_context)
    assert inbox.to(to) == []
    assert _deliveries(engine, credential["id"]) == []
    assert _notifications(client, issuer, credential["id"]) == []


def test_notify_must_be_a_json_boolean(client: TestClient, issuer: IssuerHandle) -> None:
    achievement = make_achievement(client, issuer)
    response = client.post(
        "/api/v1/credentials",
        json={
            "achievementId": achievement["id"],
            "recipient": {"email": "a@example.org"},
            "notify": 0,
        },
        headers=issuer.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "$.notify"


def _wait_for_batch(client: TestClient, issuer: IssuerHandle, batch_id: str) -> None:
    for _ in range(200):
        if (
            client.get(f"/api/v1/batches/{batch_id}", headers=issuer.headers).json()["state"]
            == "completed"
        ):
            return
        time.sleep(0.05)
    raise AssertionError(f"batch {batch_id} did not finish")


def test_a_batch_notifies_unless_told_not_to(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, inbox: Inbox, mail_context: AppContext
) -> None:
    achievement = make_achievement(client, issuer)
    loud, quiet = _address("cohort"), _address("cohort")
    for address, options in ((loud, {}), (quiet, {"notify": False})):
        response = client.post(
            "/api/v1/batches",
            json={"achievementId": achievement["id"], "rows": [{"email": address}], **options},
            headers=issuer.headers,
        )
        assert response.status_code == 202, response.text
        _wait_for_batch(client, issuer, response.json()["id"])
    run_outbox(app, mail_context)
    assert len(inbox.to(loud)) == 1
    assert inbox.to(quiet) == []


def test_revocation_mail_only_when_the_issuer_asks_for_it(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, inbox: Inbox, mail_context: AppContext
) -> None:
    achievement = make_achievement(client, issuer, name="Terminology")
    first, second = _address("first"), _address("second")
    one = issue(client, issuer, achievement["id"], recipient={"email": first})
    run_outbox(app, mail_context)
    client.post(f"/api/v1/credentials/{one['id']}/revoke", json={}, headers=issuer.headers)
    run_outbox(app, mail_context)
    assert [m["Subject"] for m in inbox.to(first)] == [
        "Test University has awarded you “Terminology”"
    ]

    assert _patch(client, issuer, issuer.headers, notifyOnRevocation=True)["notifyOnRevocation"]
    two = issue(client, issuer, achievement["id"], recipient={"email": second})
    response = client.post(
        f"/api/v1/credentials/{two['id']}/revoke",
        json={"reason": "issued in error"},
        headers=issuer.headers,
    )
    assert response.status_code == 200, response.text
    run_outbox(app, mail_context)
    # issued, then revoked before its e-mail went out: only the revocation is announced
    (message,) = inbox.to(second)
    assert message["Subject"] == "Your credential “Terminology” has been revoked"
    text, html = _parts(message)
    assert CLAIM.search(text) is None
    assert "issued in error" not in text
    assert f"https://badges.test/credentials/{two['id']}" in html
    kinds = [n["kind"] for n in _notifications(client, issuer, two["id"])]
    assert kinds == ["revoked"]


def test_daily_quota_fails_the_messages_beyond_it_visibly(
    app: FastAPI,
    client: TestClient,
    admin_headers: dict[str, str],
    issuer: IssuerHandle,
    inbox: Inbox,
    mail_context: AppContext,
) -> None:
    refused = client.patch(
        f"/api/v1/issuers/{issuer.id}", json={"mailDailyQuota": 1000}, headers=issuer.headers
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "$.mailDailyQuota"
    assert _patch(client, issuer, admin_headers, mailDailyQuota=1)["mailDailyQuota"] == 1
    achievement = make_achievement(client, issuer)
    first, second = _address("q1"), _address("q2")
    one = issue(client, issuer, achievement["id"], recipient={"email": first})
    two = issue(client, issuer, achievement["id"], recipient={"email": second})
    run_outbox(app, mail_context)
    assert len(inbox.to(first)) == 1
    assert inbox.to(second) == []
    assert _notifications(client, issuer, one["id"])[0]["state"] == "sent"
    (notification,) = _notifications(client, issuer, two["id"])
    assert notification["state"] == "failed"
    assert notification["attempts"] == 0
    assert "daily e-mail quota (1 per UTC day) is used up" in notification["lastError"]


def test_the_rate_spreads_a_cohort_after_its_burst(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, inbox: Inbox, mail_context: AppContext
) -> None:
    paced = mail_context.settings.model_copy(update={"mail_rate_per_minute": 6, "mail_burst": 2})
    context = AppContext(settings=paced, keystore=mail_context.keystore)
    achievement = make_achievement(client, issuer)
    addresses = [_address(f"r{i}") for i in range(3)]
    for address in addresses:
        issue(client, issuer, achievement["id"], recipient={"email": address})
    run_outbox(app, context)
    assert [len(inbox.to(a)) for a in addresses] == [1, 1, 0]  # the third waits 10 s
    run_outbox(app, context, now=utcnow() + timedelta(seconds=12))
    assert [len(inbox.to(a)) for a in addresses] == [1, 1, 1]


def test_a_refusal_is_recorded_as_failed_for_good_and_shown_on_the_credential(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    issuer: IssuerHandle,
    inbox: Inbox,
    mail_context: AppContext,
) -> None:
    bounce = _address("bounce")
    inbox.replies[bounce] = f"550 5.1.1 <{bounce}>: Recipient address rejected: mailbox unavailable"
    achievement = make_achievement(client, issuer)
    credential = issue(client, issuer, achievement["id"], recipient={"email": bounce})
    run_outbox(app, mail_context)
    run_outbox(app, mail_context, now=utcnow() + timedelta(hours=1))  # no retry after a 5xx
    assert inbox.received == []
    (delivery,) = _deliveries(engine, credential["id"])
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("failed", 1, 550)
    (notification,) = _notifications(client, issuer, credential["id"])
    assert notification["state"] == "failed"
    assert notification["lastError"].startswith("refused at RCPT: 550 5.1.1")


def test_a_temporary_refusal_is_retried(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    issuer: IssuerHandle,
    inbox: Inbox,
    mail_context: AppContext,
) -> None:
    busy = _address("busy")
    inbox.replies[busy] = "450 4.2.1 Mailbox busy, try again later"
    achievement = make_achievement(client, issuer)
    credential = issue(client, issuer, achievement["id"], recipient={"email": busy})
    run_outbox(app, mail_context)
    (delivery,) = _deliveries(engine, credential["id"])
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("pending", 1, 450)
    del inbox.replies[busy]
    run_outbox(app, mail_context, now=utcnow() + timedelta(seconds=10))
    (message,) = inbox.to(busy)
    (delivery,) = _deliveries(engine, credential["id"])
    assert delivery.state == "sent"
    assert message["Message-ID"].startswith(f"<{delivery.message_id}@")


def test_an_unreachable_server_is_retried(
    app: FastAPI, client: TestClient, engine: Engine, issuer: IssuerHandle, mail_context: AppContext
) -> None:
    nowhere = mail_context.settings.model_copy(
        update={"smtp_url": SecretStr(f"smtp://127.0.0.1:{free_port()}?timeout=2")}
    )
    achievement = make_achievement(client, issuer)
    credential = issue(client, issuer, achievement["id"], recipient={"email": _address("x")})
    run_outbox(app, AppContext(settings=nowhere, keystore=mail_context.keystore))
    (delivery,) = _deliveries(engine, credential["id"])
    assert delivery.state == "pending"
    assert delivery.attempts == 1
    assert delivery.last_error is not None
    assert "unreachable" in delivery.last_error


def test_a_did_only_recipient_gets_no_mail(
    app: FastAPI, client: TestClient, engine: Engine, issuer: IssuerHandle, mail_context: AppContext
) -> None:
    achievement = make_achievement(client, issuer)
    credential = issue(
        client, issuer, achievement["id"], recipient={"did": "did:example:learner-without-mail"}
    )
    run_outbox(app, mail_context)
    assert _deliveries(engine, credential["id"]) == []


def test_completing_a_program_sends_its_own_email(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, inbox: Inbox, mail_context: AppContext
) -> None:
    module = make_achievement(
        client, issuer, name="Terminology Management", achievementType="Course"
    )
    program = client.post(
        "/api/v1/programs",
        json={
            "name": {"en": "Certificate in Translation Technology"},
            "description": {"en": "Every module."},
            "modules": [module["id"]],
            "achievement": {"criteria": {"narrative": "All modules."}},
        },
        headers=issuer.headers,
    )
    assert program.status_code == 201, program.text
    to = _address("graduate")
    issue(client, issuer, module["id"], recipient={"email": to, "name": "Li Wei"})
    run_outbox(app, mail_context)
    subjects = sorted(message["Subject"] for message in inbox.to(to))
    assert subjects == [
        "Test University has awarded you “Terminology Management”",
        "You completed “Certificate in Translation Technology” – Test University",
    ]
    (completed,) = [m for m in inbox.to(to) if m["Subject"].startswith("You completed")]
    text, _ = _parts(completed)
    assert "Congratulations!" in text
    assert CLAIM.search(text) is not None
