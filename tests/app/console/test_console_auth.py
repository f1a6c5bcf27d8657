"""Console sign-in, sessions, CSRF, lockout, sign out everywhere, invitations (issue 14)."""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import timedelta

import pytest
from account_support import deliver, mails_to
from api_support import IssuerHandle
from console_support import (
    BASE,
    PASSWORD,
    browser,
    csrf_of,
    make_staff,
    post_form,
    signed_in,
    try_sign_in,
    unique_email,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.console import session as staff_session
from app.console import tokens
from app.core.ratelimit import TokenBucketLimiter
from app.models import (
    AuditEvent,
    Delivery,
    StaffInvitation,
    StaffMembership,
    StaffSession,
    StaffUser,
    utcnow,
)

pytestmark = pytest.mark.usefixtures("quiet_outbox")
INVITE = re.compile(r"https://badges\.test/console/invite/[A-Za-z0-9_\-]+")


def test_sign_in_sets_a_hardened_cookie_and_stores_only_its_hash(
    app: FastAPI, issuer: IssuerHandle
) -> None:
    email, user_id = make_staff(app, issuer_id=issuer.id, role="owner")
    client = browser(app)
    form = client.get("/console/sign-in")
    assert form.status_code == 200
    assert form.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in form.headers["content-security-policy"]
    response = client.post(
        "/console/sign-in",
        data={"email": email.upper(), "password": PASSWORD, "csrf": csrf_of(form.text)},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("console_session=")
    )
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/console" in cookie
    token = client.cookies.get(staff_session.COOKIE)
    assert token
    with app.state.sessionmaker() as session:
        stored = session.scalars(select(StaffSession).where(StaffSession.user_id == user_id)).one()
        assert stored.token_hash == tokens.digest(token)
        assert session.get(StaffUser, user_id).last_sign_in_at is not None  # type: ignore[union-attr]
    home = client.get("/console")
    assert home.status_code == 200
    assert f"/console/{issuer.id}" in home.text


def test_anonymous_pages_redirect_to_sign_in_with_next(app: FastAPI, issuer: IssuerHandle) -> None:
    client = browser(app)
    response = client.get(f"/console/{issuer.id}/audit?action=x")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/sign-in?next=%2Fconsole%2F")
    # after signing in from there, the page asked for opens
    email, _ = make_staff(app, issuer_id=issuer.id, role="viewer")
    form = client.get(response.headers["location"])
    next_path = re.search(r'name="next" value="([^"]+)"', form.text)
    assert next_path
    assert next_path.group(1) == f"/console/{issuer.id}/audit?action=x"
    done = client.post(
        "/console/sign-in",
        data={
            "email": email,
            "password": PASSWORD,
            "csrf": csrf_of(form.text),
            "next": next_path.group(1),
        },
    )
    assert done.headers["location"] == f"/console/{issuer.id}/audit?action=x"
    # a next outside the console is ignored
    assert 'name="next"' not in browser(app).get("/console/sign-in?next=//evil.example").text
    assert (
        client.get("/console/sign-in?next=https://evil.example").headers["location"] == "/console"
    )


def test_wrong_password_and_unknown_address_get_the_same_answer(
    app: FastAPI, issuer: IssuerHandle
) -> None:
    email, _ = make_staff(app, issuer_id=issuer.id)
    wrong = try_sign_in(browser(app), email, "not the password")
    unknown = try_sign_in(browser(app), unique_email("nobody"), "not the password")
    assert wrong.status_code == unknown.status_code == 400  # type: ignore[attr-defined]
    message = "The e-mail address or password is not right."
    assert message in wrong.text
    assert message in unknown.text
    assert "console_session" not in wrong.headers.get("set-cookie", "")  # type: ignore[attr-defined]


def test_five_failures_lock_the_account_for_fifteen_minutes(
    app: FastAPI, issuer: IssuerHandle
) -> None:
    email, user_id = make_staff(app, issuer_id=issuer.id)
    client = browser(app)
    for _ in range(5):
        assert try_sign_in(client, email, "wrong password!").status_code == 400  # type: ignore[attr-defined]
    with app.state.sessionmaker() as session:
        user = session.get(StaffUser, user_id)
        assert user is not None
        assert user.locked_until is not None
        assert user.locked_until - utcnow() > timedelta(minutes=14)
        locked = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "staff.locked", AuditEvent.subject_id == str(user_id)
            )
        ).one()
        assert locked.actor == f"staff:{user_id}"
    # the right password is refused while locked, with the same message
    refused = try_sign_in(client, email, PASSWORD)
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "locked for 15 minutes" in refused.text  # type: ignore[attr-defined]
    # once the lock has passed, it works again
    with app.state.sessionmaker() as session:
        session.execute(
            update(StaffUser)
            .where(StaffUser.id == user_id)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    assert try_sign_in(client, email, PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_sign_in_is_rate_limited_per_network(app: FastAPI, issuer: IssuerHandle) -> None:
    app.state.console_sign_in_limiter = TokenBucketLimiter(0.001, 2)
    email, _ = make_staff(app, issuer_id=issuer.id)
    client = browser(app)
    for _ in range(2):
        try_sign_in(client, unique_email(), "whatever password")
    limited = try_sign_in(client, email, PASSWORD)
    assert limited.status_code == 429  # type: ignore[attr-defined]
    assert "Retry-After" in limited.headers  # type: ignore[attr-defined]


def test_posts_without_the_forms_token_or_from_another_origin_are_refused(
    app: FastAPI, issuer: IssuerHandle
) -> None:
    email, _ = make_staff(app, issuer_id=issuer.id)
    client = browser(app)
    client.get("/console/sign-in")
    no_token = client.post("/console/sign-in", data={"email": email, "password": PASSWORD})
    assert no_token.status_code == 403
    assert no_token.json()["type"].endswith("/console_csrf")
    signed = signed_in(app, email)
    page = signed.get(f"/console/{issuer.id}/users")
    token = csrf_of(page.text)
    for headers, data in (
        ({}, {"email": unique_email(), "role": "viewer"}),  # no token
        ({}, {"email": unique_email(), "role": "viewer", "csrf": "x" * 64}),  # a wrong one
        (
            {"Origin": "https://evil.example"},
            {"email": unique_email(), "role": "viewer", "csrf": token},
        ),
        (
            {"Sec-Fetch-Site": "cross-site"},
            {"email": unique_email(), "role": "viewer", "csrf": token},
        ),
    ):
        refused = signed.post(f"/console/{issuer.id}/users/invite", data=data, headers=headers)
        assert refused.status_code == 403, (headers, data, refused.text)
    html = signed.post(
        f"/console/{issuer.id}/users/invite",
        data={"email": unique_email(), "role": "viewer"},
        headers={"Accept": "text/html"},
    )
    assert html.status_code == 403
    assert "out of date" in html.text
    # another session's token does not work either
    other = signed_in(app, email)
    assert csrf_of(other.get("/console/me").text) != token
    with app.state.sessionmaker() as session:
        assert not session.scalars(
            select(StaffInvitation).where(StaffInvitation.issuer_id == uuid.UUID(issuer.id))
        ).all()


def test_sign_out_ends_this_session_only_and_everywhere_ends_them_all(
    app: FastAPI, issuer: IssuerHandle
) -> None:
    email, user_id = make_staff(app, issuer_id=issuer.id)
    first, second, third = (signed_in(app, email) for _ in range(3))
    out = post_form(first, "/console/me", "/console/sign-out", {})
    assert out.status_code == 303  # type: ignore[attr-defined]
    assert first.get("/console").status_code == 303
    assert second.get("/console").status_code == 200
    everywhere = post_form(second, "/console/me", "/console/sign-out-everywhere", {})
    assert everywhere.status_code == 303  # type: ignore[attr-defined]
    for client in (second, third):
        gone = client.get("/console")
        assert gone.status_code == 303
        assert gone.headers["location"].startswith("/console/sign-in")
    with app.state.sessionmaker() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor == f"staff:{user_id}")
        ).all()
        assert "staff.sign_out_everywhere" in actions
    # a new sign-in works
    assert signed_in(app, email).get("/console").status_code == 200


def test_an_owner_invites_by_email_and_the_invitee_joins(
    app: FastAPI, issuer: IssuerHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    owner_email, owner_id = make_staff(app, issuer_id=issuer.id, role="owner")
    owner = signed_in(app, owner_email)
    invitee = unique_email("mentor")
    sent = post_form(
        owner,
        f"/console/{issuer.id}/users?lang=zh-CN",
        f"/console/{issuer.id}/users/invite?lang=zh-CN",
        {"email": invitee, "role": "assessor"},
    )
    assert sent.status_code == 303, sent.text  # type: ignore[attr-defined]
    assert "notice=invited" in sent.headers["location"]  # type: ignore[attr-defined]
    deliver(app)
    (mail,) = mails_to(app, invitee)
    assert mail.message["Content-Language"] == "zh-CN"
    assert "控制台" in mail.subject
    text = mail.part("plain") or ""
    assert "评估者" in text  # the role, in the mail's language
    link = INVITE.search(text)
    assert link, text
    url = link.group(0)
    token = url.rsplit("/", 1)[1]
    with app.state.sessionmaker() as session:
        row = session.scalars(select(StaffInvitation).where(StaffInvitation.email == invitee)).one()
        assert row.token_hash == tokens.digest(token)
        assert row.invited_by == owner_id
        delivery = session.scalars(select(Delivery).where(Delivery.target_id == row.id)).one()
        assert token not in json.dumps(delivery.payload)  # sealed while it waits
    assert token not in caplog.text
    # opening the link spends nothing; the form posts back
    person = browser(app)
    for _ in range(2):
        page = person.get(url.removeprefix(BASE))
        assert page.status_code == 200
        assert page.headers["referrer-policy"] == "no-referrer"
    short = person.post(
        url.removeprefix(BASE),
        data={
            "name": "Wang Fang",
            "password": "short",
            "password_again": "short",
            "csrf": csrf_of(page.text),
        },
    )
    assert short.status_code == 400
    assert "10" in short.text
    joined = person.post(
        url.removeprefix(BASE),
        data={
            "name": "Wang Fang",
            "password": "a long enough password",
            "password_again": "a long enough password",
            "csrf": csrf_of(page.text),
        },
    )
    assert joined.status_code == 303, joined.text
    assert person.get("/console").status_code == 200
    assert person.get(f"/console/{issuer.id}").status_code == 200
    # single use
    assert browser(app).get(url.removeprefix(BASE)).status_code == 410
    with app.state.sessionmaker() as session:
        user = session.scalars(select(StaffUser).where(StaffUser.email == invitee)).one()
        assert user.password_hash
        assert "a long enough password" not in user.password_hash
        assert user.password_hash.startswith("$argon2id$")
        membership = session.scalars(
            select(StaffMembership).where(StaffMembership.user_id == user.id)
        ).one()
        assert membership.role == "assessor"
        actions = {
            (e.action, e.actor)
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.issuer_id == uuid.UUID(issuer.id))
            )
        }
        assert ("staff.invited", f"staff:{owner_id}") in actions
        assert ("staff.joined", f"staff:{user.id}") in actions
    # the new account signs in with its password
    assert signed_in(app, invitee, "a long enough password").get("/console").status_code == 200


def test_unknown_invitation_is_gone(client: TestClient) -> None:
    page = client.get("/console/invite/not-a-token", headers={"Accept": "text/html"})
    assert page.status_code == 410
    assert "text/html" in page.headers["content-type"]


def test_cli_create_admin_prints_a_link_that_makes_a_platform_admin(
    app: FastAPI, issuer: IssuerHandle, other_issuer: IssuerHandle
) -> None:
    """The command's core (invitation without e-mail) against the test app's database."""
    from app.console import invitations

    email = unique_email("admin")
    with app.state.sessionmaker() as session:
        done = invitations.invite(
            session,
            app.state.context,
            email=email,
            role=None,
            issuer=None,
            invited_by=None,
            language="en",
            actor="cli",
            platform_admin=True,
            mail=False,
        )
        session.commit()
    assert done.url
    assert not done.mailed
    person = browser(app)
    page = person.get(done.url.removeprefix(BASE))
    joined = person.post(
        done.url.removeprefix(BASE),
        data={
            "name": "Admin",
            "password": "admin password 1",
            "password_again": "admin password 1",
            "csrf": csrf_of(page.text),
        },
    )
    assert joined.status_code == 303
    home = person.get("/console")
    assert f"/console/{issuer.id}" in home.text
    assert f"/console/{other_issuer.id}" in home.text
    assert person.get(f"/console/{other_issuer.id}/users").status_code == 200  # acts as owner


def test_invitation_tokens_are_kept_out_of_log_lines() -> None:
    from app.core.log_redaction import redact

    line = '127.0.0.1 - "GET /console/invite/AbC-123_xyz?lang=en HTTP/1.1" 200'
    assert "AbC-123_xyz" not in redact(line)
    assert "AbC-123_xyz" not in redact("POST /console/%69nvite/AbC-123_xyz")


def test_inviting_an_existing_account_adds_it_and_without_email_the_owner_gets_the_link(
    app: FastAPI,
    issuer: IssuerHandle,
    other_issuer: IssuerHandle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner_email, _ = make_staff(app, issuer_id=issuer.id, role="owner")
    colleague, _ = make_staff(app, issuer_id=other_issuer.id, role="viewer")
    owner = signed_in(app, owner_email)
    users = f"/console/{issuer.id}/users"
    added = post_form(owner, users, f"{users}/invite", {"email": colleague, "role": "issuer"})
    assert "notice=added" in added.headers["location"]  # type: ignore[attr-defined]
    again = post_form(owner, users, f"{users}/invite", {"email": colleague, "role": "issuer"})
    assert "error=conflict" in again.headers["location"]  # type: ignore[attr-defined]
    bad = post_form(owner, users, f"{users}/invite", {"email": "nope", "role": "issuer"})
    assert "error=console_invalid_invite" in bad.headers["location"]  # type: ignore[attr-defined]
    assert signed_in(app, colleague).get(f"/console/{issuer.id}/credentials").status_code == 200

    from app.console import invitations

    monkeypatch.setattr(invitations, "mail_enabled", lambda _context: False)
    newcomer = unique_email("newcomer")
    shown = post_form(owner, users, f"{users}/invite", {"email": newcomer, "role": "viewer"})
    assert shown.status_code == 200  # type: ignore[attr-defined]
    link = INVITE.search(shown.text)  # type: ignore[attr-defined]
    assert link  # shown in the page itself, never put in a URL
    assert newcomer in owner.get(users).text  # listed as pending
    assert link.group(0) not in owner.get(users).text  # and shown only that once
    with app.state.sessionmaker() as session:
        assert not session.scalars(
            select(Delivery).where(Delivery.payload["to"].as_string() == newcomer)
        ).all()


def test_an_expired_session_counts_no_more_and_nothing_secret_is_logged(
    app: FastAPI, issuer: IssuerHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    email, user_id = make_staff(app, issuer_id=issuer.id)
    try_sign_in(browser(app), email, "a wrong password 123")
    client = signed_in(app, email)
    token = client.cookies.get(staff_session.COOKIE)
    assert token
    assert client.get("/console").status_code == 200
    for secret in (PASSWORD, "a wrong password 123", token, tokens.csrf_for(token)):
        assert secret not in caplog.text
    with app.state.sessionmaker() as session:
        session.execute(
            update(StaffSession)
            .where(StaffSession.user_id == user_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    assert client.get("/console").status_code == 303
