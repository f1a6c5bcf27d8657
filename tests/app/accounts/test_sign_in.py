"""Learner sign-in by e-mail link, the account page, addresses, hiding, upload (issue 13)."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

import pytest
from account_support import (
    BASE,
    LINK,
    browser,
    deliver,
    link_for,
    mails_to,
    sign_in,
    sign_in_mails,
    signed_in_client,
    unique_email,
)
from aiosmtpd.controller import Controller
from api_support import IssuerHandle, issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mail_support import Inbox, context_with, free_port, run_outbox
from pydantic import SecretStr
from sqlalchemy import select, update

from app.accounts import hosted as hosted_store
from app.accounts import service as accounts
from app.core.log_redaction import RedactSecrets
from app.core.ratelimit import TokenBucketLimiter
from app.models import Credential, Delivery, LearnerEmail, SignInToken, utcnow
from app.web.account_page import safe_next

pytestmark = pytest.mark.usefixtures("quiet_outbox")


def _issue_to(client: TestClient, issuer: IssuerHandle, email: str, name: str) -> str:
    achievement = make_achievement(client, issuer, name=name)
    return str(issue(client, issuer, achievement["id"], recipient={"email": email})["id"])


def test_sign_in_through_the_mailbox_shows_every_issuers_credentials(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    email = unique_email()
    a, b = make_issuer(client, admin_headers), make_issuer(client, admin_headers)
    first = _issue_to(client, a, email, "Data Analysis")
    second = _issue_to(client, b, email.upper(), "Subtitling Basics")  # case does not matter
    other = _issue_to(client, a, unique_email("someone"), "Not Yours")
    learner = browser(app)
    asked = learner.post("/account/sign-in?lang=zh-CN", data={"email": f"  {email.upper()} "})
    assert asked.status_code == 200
    assert "请查收邮件" in asked.text
    link = link_for(app, email)
    (mail,) = sign_in_mails(app, email)
    assert mail.message["Content-Language"] == "zh-CN"  # no account yet: the page's language
    assert "登录" in mail.subject
    with app.state.sessionmaker() as session:  # only the hash is stored, never the token
        token = link.rsplit("/", 1)[1]
        stored = session.scalars(select(SignInToken).where(SignInToken.email == email)).one()
        assert stored.token_hash == accounts.digest(token)
        assert token not in stored.token_hash
        delivery = session.scalars(select(Delivery).where(Delivery.target_id == stored.id)).one()
        assert delivery.issuer_id is None
        assert token not in json.dumps(delivery.payload)
        assert stored.expires_at - stored.created_at == timedelta(minutes=15)

    # a scanner's GET spends nothing; the page posts back
    for _ in range(2):
        page = learner.get(link)
        assert page.status_code == 200
        assert page.headers["referrer-policy"] == "no-referrer"
        assert f'action="/account/verify/{token}' in page.text
    done = learner.post(link)
    assert done.status_code == 303
    assert done.headers["location"].startswith("/account")
    cookie = done.headers["set-cookie"]
    assert "account_session=" in cookie
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "samesite=lax" in cookie.lower()

    mine = learner.get("/account?lang=en")
    assert mine.status_code == 200
    assert "Data Analysis" in mine.text
    assert "Subtitling Basics" in mine.text
    assert "Not Yours" not in mine.text
    for credential in (first, second):
        assert f"/account/credentials/{credential}/credential.json" in mine.text
        assert f'/credentials/{credential}"' in mine.text  # its public page
    json_file = learner.get(f"/account/credentials/{first}/credential.json")
    assert json_file.status_code == 200
    assert json.loads(json_file.content)["id"]
    png = learner.get(f"/account/credentials/{first}/badge.png")
    assert png.status_code == 200
    assert png.content.startswith(b"\x89PNG")
    assert learner.get(f"/account/credentials/{other}/credential.json").status_code == 404
    # the account remembered the language of the first sign-in page; the e-mail of the next
    # sign-in goes in the account's language whatever page asks
    with app.state.sessionmaker() as session:
        account_id = session.scalars(
            select(LearnerEmail.account_id).where(LearnerEmail.email == email)
        ).one()
    assert account_id
    # the link works once
    again = browser(app).post(link)
    assert again.status_code == 410
    assert browser(app).get(link).status_code == 410


def test_second_sign_in_mails_in_the_accounts_language(app: FastAPI) -> None:
    email = unique_email()
    sign_in(
        app,
        browser(app),
        email,
    )  # en page: account in English
    learner, _ = browser(app), None
    learner.post("/account/sign-in?lang=zh-CN", data={"email": email})
    deliver(app)
    newest = sign_in_mails(app, email)[0]
    assert newest.message["Content-Language"] == "en"


def test_no_enumeration(app: FastAPI) -> None:
    known = unique_email("known")
    sign_in(app, browser(app), known)
    unknown = unique_email("unknown")
    answers = [
        browser(app).post("/account/sign-in", data={"email": address})
        for address in (known, unknown)
    ]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].text.replace(known, "X") == answers[1].text.replace(unknown, "X")
    deliver(app)
    assert mails_to(app, unknown)  # the unknown address gets its link too (first sign-in)


def test_expired_link_is_gone(app: FastAPI) -> None:
    email = unique_email()
    learner = browser(app)
    learner.post("/account/sign-in", data={"email": email})
    link = link_for(app, email)
    with app.state.sessionmaker() as session:
        session.execute(
            update(SignInToken)
            .where(SignInToken.email == email)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    for response in (learner.get(link), learner.post(link)):
        assert response.status_code == 410
        assert "no longer works" in response.text
    assert learner.get("/account").status_code == 303


def test_invalid_address_and_cross_origin(app: FastAPI) -> None:
    learner = browser(app)
    bad = learner.post("/account/sign-in", data={"email": "not an address"})
    assert bad.status_code == 400
    assert "name@example.org" in bad.text
    forged = learner.post(
        "/account/sign-in",
        data={"email": unique_email()},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert forged.status_code == 403
    email = unique_email()
    learner.post("/account/sign-in", data={"email": email})
    link = link_for(app, email)
    refused = learner.post(link, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert learner.post(link).status_code == 303  # not spent by the forged post


def test_rate_limits(app: FastAPI) -> None:
    # per address, across workers (counted in the database): 5 an hour by default
    email = unique_email()
    learner = browser(app)
    for _ in range(app.state.settings.sign_in_emails_per_hour):
        assert learner.post("/account/sign-in", data={"email": email}).status_code == 200
    limited = learner.post("/account/sign-in", data={"email": email})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    # per client address
    app.state.sign_in_limiter = TokenBucketLimiter(1 / 60, 2)
    codes = [
        learner.post("/account/sign-in", data={"email": unique_email()}).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/ok\r\nLocation: https://evil.example",
    ],
)
def test_next_is_a_local_path_only(app: FastAPI, target: str) -> None:
    assert safe_next(target) is None
    email = unique_email()
    learner = browser(app)
    learner.post("/account/sign-in", data={"email": email, "next": target})
    link = link_for(app, email)
    assert "evil" not in link
    done = learner.post(link, data={"next": target})
    assert done.status_code == 303
    assert done.headers["location"].startswith("/account")


def test_next_local_path_is_followed(app: FastAPI) -> None:
    email = unique_email()
    learner = browser(app)
    form = learner.get("/account/sign-in?next=/account%3Flang%3Dzh-CN")
    assert 'name="next" value="/account?lang=zh-CN"' in form.text
    learner.post("/account/sign-in", data={"email": email, "next": "/account?lang=zh-CN"})
    link = link_for(app, email)
    page = learner.get(link)
    assert 'name="next" value="/account?lang=zh-CN"' in page.text
    done = learner.post(link, data={"next": "/account?lang=zh-CN"})
    assert done.headers["location"] == "/account?lang=zh-CN"
    # signed in: the sign-in page goes straight on
    assert learner.get("/account/sign-in?next=/verify").headers["location"] == "/verify"


def test_account_page_needs_the_session(app: FastAPI) -> None:
    anonymous = browser(app)
    response = anonymous.get("/account?lang=zh-CN")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/sign-in?next=%2Faccount%3Flang%3Dzh-CN"
    assert anonymous.post("/account/sign-out").status_code == 303
    assert anonymous.post("/account/emails", data={"email": unique_email()}).status_code == 401


def test_sign_out_ends_the_session(app: FastAPI) -> None:
    learner, _ = signed_in_client(app, unique_email())
    token = learner.cookies.get("account_session")
    assert learner.get("/account").status_code == 200
    assert learner.post("/account/sign-out").status_code == 303
    again = browser(app)
    again.cookies.set("account_session", str(token), domain="badges.test")
    assert again.get("/account").status_code == 303


def test_addresses_add_verify_remove(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    first, second = unique_email("first"), unique_email("second")
    issuer = make_issuer(client, admin_headers)
    _issue_to(client, issuer, second, "Second Address Badge")
    learner, account_id = signed_in_client(app, first)
    assert "Second Address Badge" not in learner.get("/account").text
    sent = learner.post("/account/emails", data={"email": second})
    assert sent.status_code == 303
    page = learner.get(sent.headers["location"])
    assert "Waiting for confirmation" in page.text
    assert "Second Address Badge" not in page.text  # not before it is confirmed
    link = link_for(app, second)
    # another browser (not signed in to this account) cannot confirm it
    stranger = browser(app)
    assert "first sign in" in stranger.get(link).text
    assert stranger.post(link).status_code == 403
    confirmed = learner.post(link)
    assert confirmed.status_code == 303
    page = learner.get("/account")
    assert "Second Address Badge" in page.text
    with app.state.sessionmaker() as session:
        rows = accounts.addresses(session, account_id)
    assert {r.email for r in rows if r.verified_at} == {first, second}
    # remove one; the last verified one stays
    one = next(r for r in rows if r.email == second)
    assert learner.post(f"/account/emails/{one.id}/delete").status_code == 303
    assert "Second Address Badge" not in learner.get("/account").text
    last = next(r for r in rows if r.email == first)
    refused = learner.post(f"/account/emails/{last.id}/delete")
    assert refused.status_code == 409
    assert "last verified address" in refused.text


def test_an_address_verified_elsewhere_cannot_be_taken(app: FastAPI) -> None:
    owner_email = unique_email("owner")
    signed_in_client(app, owner_email)
    thief, _ = signed_in_client(app, unique_email("thief"))
    thief.post("/account/emails", data={"email": owner_email})
    link = link_for(app, owner_email)
    taken = thief.post(link)
    assert taken.status_code == 409


def test_two_accounts_are_isolated(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    issuer = make_issuer(client, admin_headers)
    alice_email, bob_email = unique_email("alice"), unique_email("bob")
    alice_credential = _issue_to(client, issuer, alice_email, "Alice Only")
    alice, alice_id = signed_in_client(app, alice_email)
    bob, _ = signed_in_client(app, bob_email)
    assert "Alice Only" not in bob.get("/account").text
    with app.state.sessionmaker() as session:
        alice_address = accounts.addresses(session, alice_id)[0].id
    for method, path in [
        ("GET", f"/account/credentials/{alice_credential}/credential.json"),
        ("GET", f"/account/credentials/{alice_credential}/badge.png"),
        ("POST", f"/account/credentials/{alice_credential}/visibility"),
        ("POST", f"/account/credentials/{alice_credential}/offer"),
        ("POST", f"/account/emails/{alice_address}/delete"),
    ]:
        assert bob.request(method, path).status_code == 404, path
    assert "Alice Only" in alice.get("/account").text


def test_hide_and_show(app: FastAPI, client: TestClient, admin_headers: dict[str, str]) -> None:
    email = unique_email()
    issuer = make_issuer(client, admin_headers)
    credential = _issue_to(client, issuer, email, "Hideable Badge")
    learner, account_id = signed_in_client(app, email)
    assert (
        learner.post(
            f"/account/credentials/{credential}/visibility", data={"hidden": "true"}
        ).status_code
        == 303
    )
    page = learner.get("/account").text
    assert "Hidden credentials (1)" in page
    with app.state.sessionmaker() as session:
        assert accounts.issued_credentials(session, account_id) == []  # apps do not see it
        assert len(accounts.issued_credentials(session, account_id, include_hidden=True)) == 1
        row = session.get(Credential, uuid.UUID(credential))
        assert row is not None
        assert row.hidden is False
    learner.post(f"/account/credentials/{credential}/visibility", data={"hidden": "false"})
    with app.state.sessionmaker() as session:
        assert [str(c.id) for c in accounts.issued_credentials(session, account_id)] == [credential]


def test_add_to_a_wallet_makes_a_claim_link(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    email = unique_email()
    issuer = make_issuer(client, admin_headers)
    credential = _issue_to(client, issuer, email, "Walletable")
    learner, _ = signed_in_client(app, email)
    made = learner.post(f"/account/credentials/{credential}/offer?lang=zh-CN")
    assert made.status_code == 303
    assert made.headers["location"].startswith("/claim/")
    assert learner.get(made.headers["location"]).status_code == 200


def test_upload_a_credential(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer, name="Brought Along")
    issued = issue(
        client, issuer, achievement["id"], recipient={"email": unique_email()}, proof="both"
    )
    document = issued["credential"]
    learner, account_id = signed_in_client(app, unique_email())
    files = {"file": ("badge.json", json.dumps(document).encode(), "application/json")}
    added = learner.post("/account/upload", files=files)
    assert added.status_code == 303, added.text
    page = learner.get(added.headers["location"])
    assert "Brought Along" in page.text
    assert "Uploaded by you" in page.text
    again = learner.post("/account/upload", files=files)
    assert "notice=replaced" in again.headers["location"]
    # the VC-JWT form
    jwt = issued.get("jwt") or issued.get("credentialJwt")
    if jwt:
        jwt_files = {"file": ("badge.jwt", jwt.encode(), "text/plain")}
        assert learner.post("/account/upload", files=jwt_files).status_code == 303
    # its downloads, and hiding it (from the page's list and from apps)
    with app.state.sessionmaker() as session:
        (kept,) = hosted_store.hosted_credentials(session, account_id)
    assert learner.get(f"/account/hosted/{kept.id}/credential.json").status_code == 200
    png = learner.get(f"/account/hosted/{kept.id}/badge.png")
    assert png.status_code == 200
    assert png.content.startswith(b"\x89PNG")
    other, _ = signed_in_client(app, unique_email("other"))
    assert other.get(f"/account/hosted/{kept.id}/credential.json").status_code == 404
    assert other.post(f"/account/hosted/{kept.id}/visibility").status_code == 404
    hid = learner.post(f"/account/hosted/{kept.id}/visibility", data={"hidden": "true"})
    assert hid.status_code == 303
    with app.state.sessionmaker() as session:
        assert hosted_store.hosted_credentials(session, account_id) == []
    assert "Hidden credentials (1)" in learner.get("/account").text
    # tampered: refused, saying why
    tampered = json.loads(json.dumps(document))
    tampered["credentialSubject"]["achievement"]["name"] = "Forged"
    refused = learner.post(
        "/account/upload",
        files={"file": ("badge.json", json.dumps(tampered).encode(), "application/json")},
    )
    assert refused.status_code == 422
    assert "does not verify" in refused.text
    assert "Forged" not in refused.text.split("errors", 1)[0]
    junk = learner.post("/account/upload", files={"file": ("x.txt", b"hello", "text/plain")})
    assert junk.status_code == 400
    assert "neither a credential" in junk.text


def test_sign_in_tokens_never_reach_logs(app: FastAPI) -> None:
    email = unique_email()
    browser(app).post("/account/sign-in", data={"email": email})
    link = link_for(app, email)
    token = link.rsplit("/", 1)[1].split("?", 1)[0]
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1", "POST", f"/account/verify/{token}?next=/account", "1.1", 303),
        None,
    )
    RedactSecrets().filter(record)
    assert token not in record.getMessage()


def test_account_page_in_both_languages(app: FastAPI) -> None:
    learner, _ = signed_in_client(app, unique_email())
    english = learner.get("/account?lang=en")
    chinese = learner.get("/account?lang=zh-CN")
    assert "My credentials" in english.text
    assert "我的证书" in chinese.text
    assert chinese.headers["content-language"] == "zh-CN"
    assert english.headers["referrer-policy"] == "same-origin"
    assert english.headers["cache-control"] == "no-store"


def test_base_is_https() -> None:
    assert BASE.startswith("https://")


def test_an_address_at_the_column_limit_signs_in_and_one_more_is_refused(app: FastAPI) -> None:
    local = "a" * 64
    at_limit = f"{local}@{'b' * (320 - len(local) - 1 - 4)}.org"
    assert len(at_limit) == 320
    sign_in(app, browser(app), at_limit)
    too_long = "c" + at_limit
    refused = browser(app).post("/account/sign-in", data={"email": too_long})
    assert refused.status_code == 400
    assert "name@example.org" in refused.text


def test_the_link_goes_through_a_real_smtp_server(app: FastAPI) -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        context = context_with(
            app,
            smtp_url=SecretStr(f"smtp://127.0.0.1:{port}?timeout=5"),
            mail_from="badges@badges.test",
        )
        email = unique_email()
        learner = browser(app)
        learner.post("/account/sign-in?lang=zh-CN", data={"email": email})
        run_outbox(app, context)
        (message,) = inbox.to(email)
        assert message["Content-Language"] == "zh-CN"
        assert message["Auto-Submitted"] == "auto-generated"
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        link = LINK.search(text)
        assert link is not None
        assert link.group(0) in html
        assert learner.post(link.group(0)).status_code == 303
        assert learner.get("/account").status_code == 200
    finally:
        controller.stop()


def test_a_revoked_credential_shows_its_state_and_cannot_go_to_a_wallet(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    email = unique_email()
    issuer = make_issuer(client, admin_headers)
    credential = _issue_to(client, issuer, email, "Withdrawn Badge")
    revoked = client.post(
        f"/api/v1/credentials/{credential}/revoke", json={"reason": "test"}, headers=issuer.headers
    )
    assert revoked.status_code == 200, revoked.text
    learner, _ = signed_in_client(app, email)
    page = learner.get("/account").text
    assert 'data-state="revoked"' in page
    assert "Revoked" in page
    assert f"/account/credentials/{credential}/offer" not in page
