"""Helpers of the account tests: sign in the way a learner does (the e-mailed link), or
directly (an account and a session made in the database)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.accounts import session as account_session
from app.mail import devbox
from app.models import LearnerAccount, LearnerEmail, utcnow
from app.outbox import service as outbox

BASE = "https://badges.test"
LINK = re.compile(r"https://badges\.test/account/verify/[A-Za-z0-9_\-]+(?:\?next=[^\s\"<]+)?")


def browser(app: FastAPI) -> TestClient:
    """A client on the service's own (https) origin, so its Secure cookie comes back."""
    return TestClient(app, base_url=BASE, raise_server_exceptions=False, follow_redirects=False)


def unique_email(prefix: str = "learner") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@example.org"


def deliver(app: FastAPI) -> int:
    return outbox.run_once(app.state.sessionmaker, app.state.context)


def mails_to(app: FastAPI, email: str) -> list[devbox.StoredMail]:
    return [m for m in devbox.messages(app.state.settings.data_dir) if email in m.to]


def link_for(app: FastAPI, email: str) -> str:
    """The newest link e-mailed to ``email`` (after sending what is due)."""
    deliver(app)
    for mail in mails_to(app, email):
        match = LINK.search(mail.part("plain") or "")
        if match:
            return match.group(0)
    raise AssertionError(f"no sign-in e-mail to {email}")


def sign_in_mails(app: FastAPI, email: str) -> list[devbox.StoredMail]:
    """The sign-in (and address) e-mails to ``email``, newest first."""
    return [m for m in mails_to(app, email) if LINK.search(m.part("plain") or "")]


def sign_in(app: FastAPI, client: TestClient, email: str, **form: Any) -> TestClient:
    """The whole sign-in: ask, follow the e-mailed link, press the button."""
    asked = client.post("/account/sign-in", data={"email": email, **form})
    assert asked.status_code == 200, asked.text
    link = link_for(app, email)
    page = client.get(link)
    assert page.status_code == 200, page.text
    done = client.post(link)
    assert done.status_code == 303, done.text
    return client


def signed_in_client(
    app: FastAPI, *emails: str, language: str = "en"
) -> tuple[TestClient, uuid.UUID]:
    """A browser signed in to a new account holding ``emails`` (verified)."""
    with app.state.sessionmaker() as session:
        account = LearnerAccount(id=uuid.uuid4(), language=language)
        session.add(account)
        session.flush()
        for email in emails:
            session.add(
                LearnerEmail(account_id=account.id, email=email.lower(), verified_at=utcnow())
            )
        token = account_session.start(session, account.id)
        session.commit()
        account_id = account.id
    client = browser(app)
    client.cookies.set(account_session.COOKIE, token, domain="badges.test")
    return client, account_id
