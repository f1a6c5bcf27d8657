"""Development without SMTP: e-mail is kept in the local mailbox that ``/dev/mail`` shows, in
development only (404 elsewhere); production without SMTP queues no e-mail at all."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from api_support import IssuerHandle, issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mail_support import context_with, run_outbox
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.core.config import Environment
from app.core.context import AppContext
from app.core.errors import install_error_handlers
from app.mail import dev_router, devbox
from app.models import Delivery

pytestmark = pytest.mark.usefixtures("quiet_outbox")


@pytest.fixture
def issuer(client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    return make_issuer(client, admin_headers)


def test_development_keeps_mail_in_the_mailbox_page(
    app: FastAPI, client: TestClient, issuer: IssuerHandle
) -> None:
    context: AppContext = app.state.context
    assert context.settings.environment is Environment.DEVELOPMENT
    assert context.settings.smtp_url is None
    achievement = make_achievement(client, issuer, name="Subtitling <Basics>")
    to = f"dev.{uuid.uuid4().hex[:8]}@example.org"
    issue(client, issuer, achievement["id"], recipient={"email": to, "name": "Li Wei"})
    run_outbox(app, context)

    listing = client.get("/dev/mail")
    assert listing.status_code == 200
    assert listing.headers["content-type"].startswith("text/html")
    assert to in listing.text
    assert "Subtitling &lt;Basics&gt;" in listing.text  # escaped, as everything on our pages
    (mail,) = [m for m in devbox.messages(context.settings.data_dir) if to in m.to]
    page = client.get(f"/dev/mail/{mail.id}?lang=zh-CN")
    assert page.status_code == 200
    assert "开发用邮箱" in page.text
    assert f'src="/dev/mail/{mail.id}/html"' in page.text
    assert "Claim your badge" in page.text
    html = client.get(f"/dev/mail/{mail.id}/html")
    assert html.status_code == 200
    assert "Claim your badge" in html.text
    assert html.headers["content-security-policy"].startswith("sandbox;")
    raw = client.get(f"/dev/mail/{mail.id}/message.eml")
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "message/rfc822"
    assert b"Auto-Submitted: auto-generated" in raw.content
    for path in ("/dev/mail/../../etc/passwd", f"/dev/mail/{mail.id}x", "/dev/mail/nope/html"):
        assert client.get(path).status_code == 404


def test_the_mailbox_keeps_the_newest_only(tmp_path: Path) -> None:
    from email.message import EmailMessage

    for number in range(devbox.KEEP + 3):
        message = EmailMessage()
        message["Subject"] = f"n{number}"
        message.set_content("x")
        devbox.store(tmp_path, message)
    kept = devbox.messages(tmp_path)
    assert len(kept) == devbox.KEEP
    assert kept[0].subject == f"n{devbox.KEEP + 2}"
    assert not list(devbox.folder(tmp_path).glob(".*.tmp"))


def test_the_mailbox_is_not_found_outside_development(app: FastAPI) -> None:
    production = FastAPI()
    install_error_handlers(production)
    production.state.context = context_with(app, environment=Environment.PRODUCTION)
    production.include_router(dev_router.router)
    client = TestClient(production, raise_server_exceptions=False)
    for path in ("/dev/mail", "/dev/mail/20260101T000000000000-" + "0" * 32):
        response = client.get(path)
        assert response.status_code == 404, path


def test_production_without_smtp_queues_no_mail(
    app: FastAPI, client: TestClient, engine: Engine, issuer: IssuerHandle
) -> None:
    production = context_with(app, environment=Environment.PRODUCTION)
    achievement = make_achievement(client, issuer)
    credential = issue(client, issuer, achievement["id"])
    run_outbox(app, production)
    with Session(engine) as session:
        rows = session.scalars(
            select(Delivery).where(Delivery.target_id == uuid.UUID(credential["id"]))
        ).all()
    assert [row for row in rows if row.channel == "email"] == []


def test_with_smtp_in_development_the_page_says_where_mail_goes(app: FastAPI) -> None:
    from pydantic import SecretStr

    development = FastAPI()
    install_error_handlers(development)
    development.state.context = context_with(app, smtp_url=SecretStr("smtp://localhost:2525"))
    development.include_router(dev_router.router)
    page = TestClient(development).get("/dev/mail")
    assert page.status_code == 200
    assert "BADGES_SMTP_URL is set" in page.text
