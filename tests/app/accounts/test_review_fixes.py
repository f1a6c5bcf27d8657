"""Findings of the issue-13 review on the account pages: address e-mails are capped, uploads
verify under the verify lane's guards, nesting and outages get their own answers, and the
link's page says who is signing in."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from account_support import browser, link_for, signed_in_client, unique_email
from api_support import issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.accounts import hosted as hosted_store
from app.accounts import service as accounts
from app.core.ratelimit import TokenBucketLimiter
from app.models import HostedCredential, SignInToken, utcnow
from app.serving.lanes import BoundedLane
from app.verification import service as verification
from app.verification.admission import VerifyGuards

pytestmark = pytest.mark.usefixtures("quiet_outbox")


def _unlimited_sign_in(app: FastAPI) -> None:
    app.state.sign_in_limiter = TokenBucketLimiter(0, 1)


def _expire_links(app: FastAPI, account_id: uuid.UUID) -> None:
    with app.state.sessionmaker() as session:
        session.execute(
            update(SignInToken)
            .where(SignInToken.account_id == account_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()


# --- finding 3: address-verification e-mails --------------------------------------------------


def test_pending_addresses_count_toward_the_cap(app: FastAPI) -> None:
    _unlimited_sign_in(app)
    learner, account_id = signed_in_client(app, unique_email("capped"))
    for _ in range(accounts.MAX_ADDRESSES - 1):  # one address is already verified
        assert learner.post("/account/emails", data={"email": unique_email()}).status_code == 303
    refused = learner.post("/account/emails", data={"email": unique_email()})
    assert refused.status_code == 409
    with app.state.sessionmaker() as session:
        sent = session.scalars(
            select(SignInToken).where(SignInToken.account_id == account_id)
        ).all()
    assert len(sent) == accounts.MAX_ADDRESSES - 1
    # asking again for an address already waiting is not one more address
    waiting = sent[0].email
    assert learner.post("/account/emails", data={"email": waiting}).status_code == 303


def test_address_emails_per_account_and_hour(app: FastAPI) -> None:
    _unlimited_sign_in(app)
    per_hour = app.state.settings.address_emails_per_hour
    learner, account_id = signed_in_client(app, unique_email("hourly"))
    for _ in range(per_hour):
        _expire_links(app, account_id)  # the cap counts live links only: free it
        assert learner.post("/account/emails", data={"email": unique_email()}).status_code == 303
    _expire_links(app, account_id)
    refused = learner.post("/account/emails", data={"email": unique_email()})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0


def test_adding_an_address_spends_the_networks_sign_in_allowance(app: FastAPI) -> None:
    app.state.sign_in_limiter = TokenBucketLimiter(0.001, 1)
    learner, _ = signed_in_client(app, unique_email("net"))
    assert learner.post("/account/emails", data={"email": unique_email()}).status_code == 303
    refused = learner.post("/account/emails", data={"email": unique_email()})
    assert refused.status_code == 429
    assert "retry-after" in refused.headers


# --- finding 8: deeply nested JSON -------------------------------------------------------------


def test_a_deeply_nested_upload_is_a_400_not_a_500(app: FastAPI) -> None:
    learner, _ = signed_in_client(app, unique_email("nested"))
    nested = b'{"a":' + b"[" * 5_000 + b"]" * 5_000 + b"}"
    refused = learner.post("/account/upload", files={"file": ("x.json", nested, "text/plain")})
    assert refused.status_code == 400
    assert "neither a credential" in refused.text


# --- finding 2: upload under the verify guards -------------------------------------------------


class _CountingLane(BoundedLane):
    def __init__(self, size: int = 2, queue: int = 16) -> None:
        super().__init__("verify", size, queue)
        self.runs = 0

    async def run(self, function: Any, *args: Any) -> Any:
        self.runs += 1
        return await super().run(function, *args)


def _guards(app: FastAPI, **overrides: Any) -> VerifyGuards:
    base = VerifyGuards.from_settings(app.state.settings)
    values = {
        "lane": base.lane,
        "anonymous": base.anonymous,
        "authenticated": base.authenticated,
        "network": base.network,
    }
    guards = VerifyGuards(**(values | overrides))
    app.state.verify_guards = guards
    return guards


@pytest.fixture(autouse=True)
def _restore_guards(app: FastAPI) -> Any:
    """Each test here may install its own verify guards; the app's come back after it."""
    saved = app.state.verify_guards
    yield
    app.state.verify_guards = saved


@pytest.fixture
def credential(client: TestClient, admin_headers: dict[str, str]) -> dict[str, Any]:
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer, name="Guarded Upload")
    issued = issue(client, issuer, achievement["id"], recipient={"email": unique_email()})
    document: dict[str, Any] = issued["credential"]
    return document


def _upload(learner: TestClient, document: dict[str, Any]) -> Any:
    files = {"file": ("badge.json", json.dumps(document).encode(), "application/json")}
    return learner.post("/account/upload", files=files)


def test_upload_verifies_in_the_verify_lane(app: FastAPI, credential: dict[str, Any]) -> None:
    lane = _CountingLane()
    _guards(app, lane=lane)
    learner, _ = signed_in_client(app, unique_email("lane"))
    assert _upload(learner, credential).status_code == 303
    assert lane.runs == 1


def test_upload_gets_503_when_the_verify_lane_is_full(
    app: FastAPI, credential: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Full(BoundedLane):
        async def run(self, function: Any, *args: Any) -> Any:
            from app.serving.lanes import LaneFull

            raise LaneFull("verify")

    _guards(app, lane=Full("verify", 1, 0))
    learner, account_id = signed_in_client(app, unique_email("busy"))
    busy = _upload(learner, credential)
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "1"
    with app.state.sessionmaker() as session:
        assert hosted_store.hosted_credentials(session, account_id) == []


def test_uploads_are_rate_limited_per_account(app: FastAPI, credential: dict[str, Any]) -> None:
    _guards(app, anonymous=TokenBucketLimiter(0.001, 1))
    learner, _ = signed_in_client(app, unique_email("rate"))
    assert _upload(learner, credential).status_code == 303
    limited = _upload(learner, credential)
    assert limited.status_code == 429
    assert "retry-after" in limited.headers
    # another account has its own allowance
    other, _ = signed_in_client(app, unique_email("rate-other"))
    assert _upload(other, credential).status_code == 303


def test_upload_is_held_to_the_anonymous_input_limits(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    called: list[Any] = []
    monkeypatch.setattr(verification, "verify_document", lambda *a, **k: called.append(a))
    learner, _ = signed_in_client(app, unique_email("limits"))
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": {"id": "did:web:slow.example"},
        "credentialSubject": {"items": [{"n": i} for i in range(600)]},  # 600 blank nodes
    }
    refused = _upload(learner, document)
    assert refused.status_code == 413
    assert called == []  # refused before any verification work


# --- lower: an outage inside verification is a 503, not a refusal ----------------------------


def test_a_database_outage_while_verifying_is_a_503(
    app: FastAPI, credential: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def outage(*_args: Any, **_kwargs: Any) -> Any:
        raise PoolTimeout("no connection")

    monkeypatch.setattr(verification, "verify_document", outage)
    learner, account_id = signed_in_client(app, unique_email("outage"))
    answer = _upload(learner, credential)
    assert answer.status_code == 503
    with app.state.sessionmaker() as session:
        assert (
            session.scalars(
                select(HostedCredential).where(HostedCredential.account_id == account_id)
            ).all()
            == []
        )


# --- lower: the link's page names who is signing in --------------------------------------------


def test_the_sign_in_page_warns_against_someone_elses_link(app: FastAPI) -> None:
    email = unique_email("csrf")
    browser(app).post("/account/sign-in", data={"email": email})
    page = browser(app).get(link_for(app, email))
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert f"You are signing in as {email}" in text
    assert "If you did not ask for this link, do not press the button" in text
