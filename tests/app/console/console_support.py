"""Helpers of the console tests: staff accounts made in the database, and signing in through
the real form (its CSRF cookie and hidden field)."""

from __future__ import annotations

import re
import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.console import passwords
from app.models import StaffMembership, StaffUser

BASE = "https://badges.test"
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def browser(app: FastAPI) -> TestClient:
    """A client on the service's own https origin (Secure cookies come back), no redirects."""
    return TestClient(app, base_url=BASE, raise_server_exceptions=False, follow_redirects=False)


def unique_email(prefix: str = "staff") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@example.org"


def make_staff(
    app: FastAPI,
    *,
    issuer_id: str | None = None,
    role: str = "owner",
    email: str | None = None,
    password: str = PASSWORD,
    platform_admin: bool = False,
    name: str = "Staff Member",
) -> tuple[str, uuid.UUID]:
    """A staff user (and membership at ``issuer_id`` as ``role``); returns (email, user id)."""
    email = email or unique_email(role)
    with app.state.sessionmaker() as session:
        user = StaffUser(
            id=uuid.uuid4(),
            email=email,
            display_name=name,
            password_hash=passwords.hash_password(password),
            platform_admin=platform_admin,
        )
        session.add(user)
        session.flush()
        if issuer_id is not None:
            session.add(StaffMembership(user_id=user.id, issuer_id=uuid.UUID(issuer_id), role=role))
        session.commit()
        return email, user.id


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no csrf field on the page"
    return match.group(1)


def try_sign_in(client: TestClient, email: str, password: str, code: str = "") -> object:
    form = client.get("/console/sign-in")
    assert form.status_code == 200, form.text
    return client.post(
        "/console/sign-in",
        data={"email": email, "password": password, "code": code, "csrf": csrf_of(form.text)},
    )


def signed_in(app: FastAPI, email: str, password: str = PASSWORD) -> TestClient:
    """A browser signed in as ``email``."""
    client = browser(app)
    response = try_sign_in(client, email, password)
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    return client


def post_form(client: TestClient, page: str, action: str, data: dict[str, str]) -> object:
    """Open ``page``, take its CSRF token, and post ``data`` to ``action``."""
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    return client.post(action, data={**data, "csrf": csrf_of(shown.text)})
