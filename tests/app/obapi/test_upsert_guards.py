"""An app's upsertCredential verifies under the guards of public verification (review of
issue 13, finding 2): the verify lane, the account's rate, the anonymous input limits."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ob_support import bearer, make_learner, register_app

from app.core.ratelimit import TokenBucketLimiter
from app.obapi.schemas import CREDENTIAL_READONLY
from app.serving.lanes import BoundedLane, LaneFull
from app.verification import service as verification
from app.verification.admission import VerifyGuards

CREDENTIALS = "/ims/ob/v3p0/credentials"


class _CountingLane(BoundedLane):
    def __init__(self) -> None:
        super().__init__("verify", 2, 16)
        self.runs = 0

    async def run(self, function: Any, *args: Any) -> Any:
        self.runs += 1
        return await super().run(function, *args)


class _FullLane(BoundedLane):
    async def run(self, function: Any, *args: Any) -> Any:
        raise LaneFull("verify")


def _guards(app: FastAPI, **overrides: Any) -> None:
    base = VerifyGuards.from_settings(app.state.settings)
    values = {
        "lane": base.lane,
        "anonymous": base.anonymous,
        "authenticated": base.authenticated,
        "network": base.network,
    }
    app.state.verify_guards = VerifyGuards(**(values | overrides))


@pytest.fixture(autouse=True)
def _restore_guards(app: FastAPI) -> Any:
    """Each test here may install its own verify guards; the app's come back after it."""
    saved = app.state.verify_guards
    yield
    app.state.verify_guards = saved


@pytest.fixture
def setup(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> tuple[dict[str, str], dict[str, Any]]:
    learner = make_learner(app)
    issuer = make_issuer(client, admin_headers)
    achievement = make_achievement(client, issuer)
    issued = issue(client, issuer, achievement["id"], recipient={"email": "up@example.org"})
    headers = bearer(register_app(client).tokens(learner)["access_token"])
    return headers, issued["credential"]


def test_upsert_verifies_in_the_verify_lane(
    app: FastAPI, client: TestClient, setup: tuple[dict[str, str], dict[str, Any]]
) -> None:
    headers, document = setup
    lane = _CountingLane()
    _guards(app, lane=lane)
    assert client.post(CREDENTIALS, json=document, headers=headers).status_code == 201
    assert lane.runs == 1


def test_upsert_is_503_when_the_verify_lane_is_full(
    app: FastAPI, client: TestClient, setup: tuple[dict[str, str], dict[str, Any]]
) -> None:
    headers, document = setup
    _guards(app, lane=_FullLane("verify", 1, 0))
    busy = client.post(CREDENTIALS, json=document, headers=headers)
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "1"
    assert busy.json()["imsx_codeMajor"] == "failure"


def test_upsert_is_rate_limited_per_account(
    app: FastAPI, client: TestClient, setup: tuple[dict[str, str], dict[str, Any]]
) -> None:
    headers, document = setup
    _guards(app, anonymous=TokenBucketLimiter(0.001, 1))
    assert client.post(CREDENTIALS, json=document, headers=headers).status_code == 201
    limited = client.post(CREDENTIALS, json=document, headers=headers)
    assert limited.status_code == 429
    assert "retry-after" in limited.headers


def test_upsert_is_held_to_the_anonymous_input_limits(
    app: FastAPI,
    client: TestClient,
    setup: tuple[dict[str, str], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers, _ = setup
    called: list[Any] = []
    monkeypatch.setattr(verification, "verify_document", lambda *a, **k: called.append(a))
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": {"id": "did:web:slow.example"},
        "credentialSubject": {"items": [{"n": i} for i in range(600)]},
    }
    refused = client.post(CREDENTIALS, json=document, headers=headers)
    assert refused.status_code == 413
    assert called == []


class _RefusingLane(BoundedLane):
    """A full lane that counts who asked for a slot."""

    def __init__(self) -> None:
        super().__init__("verify", 1, 0)
        self.asked = 0

    async def run(self, function: Any, *args: Any) -> Any:
        self.asked += 1
        raise LaneFull("verify")


def test_a_bad_token_is_401_before_the_lane(
    app: FastAPI, client: TestClient, setup: tuple[dict[str, str], dict[str, Any]]
) -> None:
    """Flooding upsert with garbage tokens takes no verify slot, so /verify stays up."""
    headers, document = setup
    lane = _RefusingLane()
    _guards(app, lane=lane)
    for bad in ({"Authorization": "Bearer garbage"}, {}):
        refused = client.post(CREDENTIALS, json=document, headers=bad)
        assert refused.status_code == 401
        assert refused.json()["imsx_codeMajor"] == "failure"
    assert lane.asked == 0
    busy = client.post(CREDENTIALS, json=document, headers=headers)
    assert busy.status_code == 503
    assert lane.asked == 1


def test_a_token_without_the_upsert_scope_is_403_before_the_lane(
    app: FastAPI, client: TestClient
) -> None:
    learner = make_learner(app)
    tokens = register_app(client).tokens(learner, scope=CREDENTIAL_READONLY)
    headers = bearer(tokens["access_token"])
    lane = _RefusingLane()
    _guards(app, lane=lane)
    refused = client.post(CREDENTIALS, json={"type": ["VerifiableCredential"]}, headers=headers)
    assert refused.status_code == 403
    assert lane.asked == 0


def test_the_account_rate_is_spent_before_the_lane(
    app: FastAPI, client: TestClient, setup: tuple[dict[str, str], dict[str, Any]]
) -> None:
    headers, document = setup
    lane = _RefusingLane()
    _guards(app, lane=lane, anonymous=TokenBucketLimiter(0.001, 1))
    assert client.post(CREDENTIALS, json=document, headers=headers).status_code == 503
    limited = client.post(CREDENTIALS, json=document, headers=headers)
    assert limited.status_code == 429
    assert limited.json()["imsx_codeMajor"] == "failure"
    assert lane.asked == 1


def test_upsert_is_rate_limited_per_address_before_the_lane(
    app: FastAPI, client: TestClient
) -> None:
    lane = _RefusingLane()
    _guards(app, lane=lane)
    app.state.obapi_limiter = TokenBucketLimiter(0.001, 1)
    bad = {"Authorization": "Bearer garbage"}
    assert client.post(CREDENTIALS, json={}, headers=bad).status_code == 401
    limited = client.post(CREDENTIALS, json={}, headers=bad)
    assert limited.status_code == 429
    assert "retry-after" in limited.headers
    assert limited.json()["imsx_codeMajor"] == "failure"
    assert lane.asked == 0
