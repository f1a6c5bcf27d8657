"""A staff member who forgot the password gets a single-use link by e-mail and chooses a new one
(``/console/forgot-password``, ``/console/reset-password/{token}``)."""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import timedelta

import pytest
from account_support import deliver, mails_to
from console_support import BASE, PASSWORD, browser, csrf_of, make_staff, signed_in, try_sign_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.console import password_resets, tokens
from app.models import AuditEvent, Delivery, StaffPasswordReset, StaffSession, StaffUser, utcnow

pytestmark = pytest.mark.usefixtures("quiet_outbox")
RESET = re.compile(r"https://badges\.test/console/reset-password/[A-Za-z0-9_\-]+")
NEW_PASSWORD = "a brand new passphrase"


def ask(client: TestClient, email: str, lang: str = "en") -> object:
    """Fill in the forgotten-password form as a browser does."""
    form = client.get(f"/console/forgot-password?lang={lang}")
    assert form.status_code == 200, form.text
    return client.post(
        f"/console/forgot-password?lang={lang}", data={"email": email, "csrf": csrf_of(form.text)}
    )


def reset_link(app: FastAPI, email: str) -> str:
    deliver(app)
    links = [m for m in mails_to(app, email) if RESET.search(m.part("plain") or "")]
    assert len(links) == 1, [m.subject for m in mails_to(app, email)]
    found = RESET.search(links[0].part("plain") or "")
    assert found
    return found.group(0).removeprefix(BASE)


def choose(client: TestClient, path: str, password: str, again: str | None = None) -> object:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(
        path,
        data={
            "password": password,
            "password_again": password if again is None else again,
            "csrf": csrf_of(page.text),
        },
    )


def test_a_forgotten_password_is_replaced_through_the_emailed_link(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    email, user_id = make_staff(app)
    with app.state.sessionmaker() as session:
        session.execute(update(StaffUser).where(StaffUser.id == user_id).values(language="zh-CN"))
        session.commit()
    elsewhere = signed_in(app, email)  # a session the reset must end
    assert elsewhere.get("/console").status_code == 200
    person = browser(app)
    assert "/console/forgot-password" in person.get("/console/sign-in").text
    answer = ask(person, email.upper())
    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert "on its way" in answer.text  # type: ignore[attr-defined]
    deliver(app)
    (mail,) = mails_to(app, email)
    assert mail.message["Content-Language"] == "zh-CN"  # the account's language
    assert "新密码" in mail.subject
    path = reset_link(app, email)
    token = path.rsplit("/", 1)[1]
    with app.state.sessionmaker() as session:
        row = session.scalars(
            select(StaffPasswordReset).where(StaffPasswordReset.user_id == user_id)
        ).one()
        assert row.token_hash == tokens.digest(token)
        assert row.expires_at - row.created_at == password_resets.RESET_TTL
        delivery = session.scalars(select(Delivery).where(Delivery.target_id == row.id)).one()
        assert token not in json.dumps(delivery.payload)  # sealed while it waits
    # opening the link spends nothing
    for _ in range(2):
        page = person.get(path)
        assert page.status_code == 200
        assert page.headers["referrer-policy"] == "no-referrer"
        assert email in page.text
    assert choose(person, path, NEW_PASSWORD, "something else").status_code == 400  # type: ignore[attr-defined]
    short = choose(person, path, "short")
    assert short.status_code == 400  # type: ignore[attr-defined]
    assert "10" in short.text  # type: ignore[attr-defined]
    done = choose(person, path, NEW_PASSWORD)
    assert done.status_code == 303, done.text  # type: ignore[attr-defined]
    assert "notice=password_reset" in done.headers["location"]  # type: ignore[attr-defined]
    assert "every session" in person.get(done.headers["location"]).text  # type: ignore[attr-defined]
    # single use; every session ended; the old password no longer works, the new one does
    assert browser(app).get(path).status_code == 410
    assert elsewhere.get("/console").status_code == 303
    assert try_sign_in(browser(app), email, PASSWORD).status_code == 400  # type: ignore[attr-defined]
    assert signed_in(app, email, NEW_PASSWORD).get("/console").status_code == 200
    with app.state.sessionmaker() as session:
        user = session.get(StaffUser, user_id)
        assert user is not None
        assert user.password_hash is not None
        assert NEW_PASSWORD not in user.password_hash
        assert not session.scalars(
            select(StaffSession).where(
                StaffSession.user_id == user_id,
                StaffSession.revoked_at.is_(None),
                StaffSession.created_at < row.created_at,
            )
        ).all()
        actions = [
            e.action
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.subject_id == str(user_id))
            )
        ]
        assert "staff.password_reset_asked" in actions
        assert "staff.password_reset" in actions
    service_lines = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert service_lines  # (httpx: the test's own client, which logs the URLs it asks for)
    assert not [line for line in service_lines if token in line or NEW_PASSWORD in line]


def test_an_unknown_address_gets_the_same_answer_and_no_mail(app: FastAPI) -> None:
    email, _ = make_staff(app)
    stranger = f"nobody.{uuid.uuid4().hex[:8]}@example.org"
    known = ask(browser(app), email)
    unknown = ask(browser(app), stranger)
    assert unknown.status_code == known.status_code == 200  # type: ignore[attr-defined]
    assert unknown.text.replace(stranger, "X") == known.text.replace(email, "X")  # type: ignore[attr-defined]
    deliver(app)
    assert not mails_to(app, stranger)
    for not_an_address in ("", "nope", "a@"):
        refused = ask(browser(app), not_an_address)
        assert refused.status_code == 400  # type: ignore[attr-defined]
        assert "Enter the e-mail address" in refused.text  # type: ignore[attr-defined]


def test_one_link_per_account_every_five_minutes(app: FastAPI) -> None:
    email, user_id = make_staff(app)
    for _ in range(3):
        assert ask(browser(app), email).status_code == 200  # type: ignore[attr-defined]
    reset_link(app, email)  # exactly one
    with app.state.sessionmaker() as session:
        session.execute(
            update(StaffPasswordReset)
            .where(StaffPasswordReset.user_id == user_id)
            .values(created_at=utcnow() - password_resets.RESEND_AFTER - timedelta(seconds=1))
        )
        session.commit()
    ask(browser(app), email)
    deliver(app)
    assert len([m for m in mails_to(app, email) if RESET.search(m.part("plain") or "")]) == 2


def test_a_used_link_spends_the_others_and_an_expired_one_is_gone(app: FastAPI) -> None:
    email, user_id = make_staff(app)
    ask(browser(app), email)
    first = reset_link(app, email)
    with app.state.sessionmaker() as session:  # a second link, asked before the first was used
        token = tokens.new_token()
        now = utcnow()
        session.add(
            StaffPasswordReset(
                user_id=user_id,
                token_hash=tokens.digest(token),
                created_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
        session.commit()
    assert choose(browser(app), first, NEW_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    assert browser(app).get(f"/console/reset-password/{token}").status_code == 410

    other, other_id = make_staff(app)
    ask(browser(app), other)
    path = reset_link(app, other)
    with app.state.sessionmaker() as session:
        session.execute(
            update(StaffPasswordReset)
            .where(StaffPasswordReset.user_id == other_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    gone = browser(app).get(path)
    assert gone.status_code == 410
    assert "/console/forgot-password" in gone.text
    assert browser(app).get("/console/reset-password/" + "x" * 300).status_code == 410


def test_a_reset_lifts_a_lockout(app: FastAPI) -> None:
    email, user_id = make_staff(app)
    with app.state.sessionmaker() as session:
        session.execute(
            update(StaffUser)
            .where(StaffUser.id == user_id)
            .values(failed_attempts=5, locked_until=utcnow() + timedelta(minutes=15))
        )
        session.commit()
    assert try_sign_in(browser(app), email, PASSWORD).status_code == 400  # type: ignore[attr-defined]
    ask(browser(app), email)
    assert choose(browser(app), reset_link(app, email), NEW_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    assert signed_in(app, email, NEW_PASSWORD).get("/console").status_code == 200


def test_without_email_there_is_no_link_and_the_page_says_whom_to_ask(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.console import invitations

    monkeypatch.setattr(invitations, "mail_enabled", lambda _context: False)
    email, user_id = make_staff(app)
    client = browser(app)
    assert "/console/forgot-password" not in client.get("/console/sign-in").text
    page = client.get("/console/forgot-password")
    assert "administrator" in page.text
    assert 'name="email"' not in page.text
    with app.state.sessionmaker() as session:
        password_resets.request_reset(session, app.state.context, email)
        session.commit()
        assert not session.scalars(
            select(StaffPasswordReset).where(StaffPasswordReset.user_id == user_id)
        ).all()


def test_reset_tokens_are_kept_out_of_log_lines() -> None:
    from app.core.log_redaction import redact

    line = '127.0.0.1 - "POST /console/reset-password/AbC-123_xyz?lang=en HTTP/1.1" 303'
    assert "AbC-123_xyz" not in redact(line)
    assert "AbC-123_xyz" not in redact("GET /console/%72eset-password/AbC-123_xyz")
