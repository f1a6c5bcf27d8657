"""``badges staff create-admin`` / ``invite`` / ``totp`` on a fresh database, and signing in
with a TOTP code."""

from __future__ import annotations

import re

import pyotp
from api_support import IssuerHandle
from console_support import (
    PASSWORD,
    browser,
    csrf_of,
    make_staff,
    post_form,
    signed_in,
    try_sign_in,
)
from fastapi import FastAPI
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from app.cli import app as cli
from app.console import totp
from app.models import AuditEvent, StaffInvitation, StaffUser

LINK = re.compile(r"https://demo\.badges\.test/console/invite/[A-Za-z0-9_\-]+")


def test_create_admin_on_a_fresh_database_prints_a_one_time_link(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=cli_env).exit_code == 0
    result = runner.invoke(
        cli, ["staff", "create-admin", "--email", "Root@Example.org"], env=cli_env
    )
    assert result.exit_code == 0, result.output
    link = LINK.search(result.output)
    assert link, result.output
    issuer = runner.invoke(cli, ["issuer", "create", "--name", "en=Uni"], env=cli_env)
    issuer_id = re.search(r"issuer ([0-9a-f-]{36})", issuer.output)
    assert issuer_id
    invited = runner.invoke(
        cli,
        ["staff", "invite", "--email", "owner@example.org", "--issuer", issuer_id.group(1)],
        env=cli_env,
    )
    assert invited.exit_code == 0, invited.output
    assert LINK.search(invited.output), invited.output
    bad = runner.invoke(cli, ["staff", "create-admin", "--email", "not an address"], env=cli_env)
    assert bad.exit_code == 2
    engine = create_engine(cli_env["BADGES_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(StaffInvitation.email, StaffInvitation.platform_admin, StaffInvitation.role)
            ).all()
    finally:
        engine.dispose()
    assert sorted(rows) == [("owner@example.org", False, "owner"), ("root@example.org", True, None)]
    token = link.group(0).rsplit("/", 1)[1]
    assert token not in str(rows)


def test_an_enrolled_account_needs_its_current_code(app: FastAPI, issuer: IssuerHandle) -> None:
    email, user_id = make_staff(app, issuer_id=issuer.id)
    with app.state.sessionmaker() as session:
        user = session.get(StaffUser, user_id)
        assert user is not None
        uri = totp.enroll(app.state.context, user)
        session.commit()
        sealed = user.totp_sealed
    secret = pyotp.parse_uri(uri).secret
    assert sealed
    assert secret.encode() not in sealed
    client = browser(app)
    assert try_sign_in(client, email, PASSWORD).status_code == 400  # type: ignore[attr-defined]
    assert try_sign_in(client, email, PASSWORD, "000000").status_code == 400  # type: ignore[attr-defined]
    code = pyotp.TOTP(secret).now()
    assert try_sign_in(client, email, PASSWORD, code).status_code == 303  # type: ignore[attr-defined]
    # a sealed secret copied onto another account does not open there
    other_email, other_id = make_staff(app, issuer_id=issuer.id)
    with app.state.sessionmaker() as session:
        other = session.get(StaffUser, other_id)
        assert other is not None
        other.totp_sealed, other.totp_kek_id = sealed, app.state.context.keystore.kek_id
        session.commit()
    refused = try_sign_in(browser(app), other_email, PASSWORD, pyotp.TOTP(secret).now())
    assert refused.status_code == 400  # type: ignore[attr-defined]


def test_a_person_turns_the_authenticator_on_and_off_from_their_page(
    app: FastAPI, issuer: IssuerHandle
) -> None:
    email, user_id = make_staff(app, issuer_id=issuer.id)
    client = signed_in(app, email)
    started = post_form(client, "/console/me", "/console/me/totp", {"step": "start"})
    assert started.status_code == 200  # type: ignore[attr-defined]
    html = started.text  # type: ignore[attr-defined]
    assert 'src="data:image/svg+xml;base64,' in html
    shown = re.search(r'id="totp-secret">([A-Z2-7 ]+)</code>', html)
    sealed = re.search(r'name="sealed" value="([^"]+)"', html)
    assert shown
    assert sealed
    secret = shown.group(1).replace(" ", "")
    assert secret not in sealed.group(1)
    with app.state.sessionmaker() as session:
        assert session.get(StaffUser, user_id).totp_sealed is None  # type: ignore[union-attr]
    confirm = {"step": "confirm", "sealed": sealed.group(1)}
    wrong = client.post(
        "/console/me/totp", data={**confirm, "code": "000000", "csrf": csrf_of(html)}
    )
    assert wrong.status_code == 400
    forged = client.post(
        "/console/me/totp",
        data={"step": "confirm", "sealed": "AAAA", "code": "1", "csrf": csrf_of(html)},
    )
    assert forged.status_code == 400
    on = client.post(
        "/console/me/totp",
        data={**confirm, "code": pyotp.TOTP(secret).now(), "csrf": csrf_of(html)},
    )
    assert on.status_code == 303
    assert on.headers["location"] == "/console/me?notice=totp_on"
    # from now on, signing in needs a code
    assert try_sign_in(browser(app), email, PASSWORD).status_code == 400  # type: ignore[attr-defined]
    assert (
        try_sign_in(browser(app), email, PASSWORD, pyotp.TOTP(secret).now()).status_code  # type: ignore[attr-defined]
        == 303
    )
    # turning it off takes the password and a code
    refused = post_form(
        client, "/console/me", "/console/me/totp", {"step": "off", "password": PASSWORD}
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    off = post_form(
        client,
        "/console/me",
        "/console/me/totp",
        {"step": "off", "password": PASSWORD, "code": pyotp.TOTP(secret).now()},
    )
    assert off.status_code == 303  # type: ignore[attr-defined]
    assert try_sign_in(browser(app), email, PASSWORD).status_code == 303  # type: ignore[attr-defined]
    with app.state.sessionmaker() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor == f"staff:{user_id}")
        ).all()
    assert "staff.totp_enabled" in actions
    assert "staff.totp_disabled" in actions
