"""A platform admin creates issuers from the console home (issue 14: "a platform admin creates
issuers"); nobody else can."""

from __future__ import annotations

import uuid

from api_support import IssuerHandle, make_issuer
from console_support import make_staff, post_form, signed_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.models import AuditEvent, Issuer

FORM = {"name_en": "Partner Institute", "name_zh": "合作学院", "url": "https://partner.example"}


def test_a_platform_admin_creates_an_issuer_and_opens_its_console(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    email, user_id = make_staff(app, platform_admin=True)
    browser = signed_in(app, email)
    home = browser.get("/console")
    assert 'action="/console/issuers"' in home.text
    answer = post_form(browser, "/console", "/console/issuers", {**FORM, "language": "zh-CN"})
    assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
    location = answer.headers["location"]  # type: ignore[attr-defined]
    issuer_id = location.removeprefix("/console/").split("?", 1)[0]
    opened = browser.get(location)
    assert opened.status_code == 200
    assert "合作学院" in opened.text or "Partner Institute" in opened.text
    made = client.get(f"/api/v1/issuers/{issuer_id}", headers=admin_headers).json()
    assert made["name"] == {"en": "Partner Institute", "zh-CN": "合作学院"}
    assert made["defaultLanguage"] == "zh-CN"
    assert made["url"] == "https://partner.example"
    with app.state.sessionmaker() as session:
        actors = session.scalars(
            select(AuditEvent.actor).where(
                AuditEvent.action == "issuer.create", AuditEvent.subject_id == issuer_id
            )
        ).all()
    assert actors == [f"staff:{user_id}"]


def test_bad_values_show_the_form_again_and_create_nothing(app: FastAPI) -> None:
    email, _ = make_staff(app, platform_admin=True)
    browser = signed_in(app, email)
    with app.state.sessionmaker() as session:
        before = len(session.scalars(select(Issuer.id)).all())
    answer = post_form(browser, "/console", "/console/issuers", {"url": "not a url"})
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert 'aria-invalid="true"' in answer.text  # type: ignore[attr-defined]
    assert 'value="not a url"' in answer.text  # type: ignore[attr-defined]
    with app.state.sessionmaker() as session:
        assert len(session.scalars(select(Issuer.id)).all()) == before


def test_only_a_platform_admin_creates_issuers(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    issuer: IssuerHandle = make_issuer(client, admin_headers)
    email, _ = make_staff(app, issuer_id=issuer.id, role="owner")
    browser = signed_in(app, email)
    assert 'action="/console/issuers"' not in browser.get("/console").text
    answer = post_form(browser, "/console", "/console/issuers", FORM)
    assert answer.status_code == 403  # type: ignore[attr-defined]
    # and without the session's form token, not even a platform admin
    admin_email, _ = make_staff(app, platform_admin=True)
    admin = signed_in(app, admin_email)
    forged = admin.post("/console/issuers", data={**FORM, "csrf": "x" * 43})
    assert forged.status_code == 403
    with app.state.sessionmaker() as session:
        names = [row.name for row in session.scalars(select(Issuer))]
    assert "Partner Institute" not in names
    assert uuid.UUID(issuer.id)
