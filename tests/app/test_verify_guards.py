"""Public verification cannot starve the service (issue 9, item 6b).

Verification runs in a bounded lane of its own (a full queue is ``503`` with ``Retry-After``),
each client has a rate limit (``429`` with ``Retry-After``), and anonymous callers are held to
tighter input limits than callers with an issuer API key.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import IssuerHandle, assert_problem, issue, make_achievement, make_issuer
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.ratelimit import TokenBucketLimiter, address_key, network_key
from app.main import create_app
from app.verification import admission, service
from app.verification.admission import ANONYMOUS_LIMITS, count_blank_nodes

HTML = {"Accept": "text/html,application/xhtml+xml"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the token bucket ---------------------------------------------------------------------


def test_bucket_allows_a_burst_then_the_rate() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(rate_per_minute=6, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(10.0)  # one token every 10 s
    assert limiter.take("b") == 0.0  # another client has its own bucket
    clock.now += 5
    assert limiter.take("a") == pytest.approx(5.0)  # a refused request costs nothing
    clock.now += 5
    assert limiter.take("a") == 0.0
    clock.now += 3600
    assert [limiter.take("a") for _ in range(4)][-1] > 0  # refills to the burst, no more


def test_bucket_memory_is_bounded_and_zero_rate_is_unlimited() -> None:
    limiter = TokenBucketLimiter(rate_per_minute=1, burst=1, max_clients=100, clock=FakeClock())
    for n in range(1000):
        limiter.take(f"client-{n}")
    assert len(limiter) == 100
    unlimited = TokenBucketLimiter(rate_per_minute=0, burst=1)
    assert all(unlimited.take("a") == 0.0 for _ in range(1000))


def test_ipv6_clients_are_keyed_by_their_64() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9")
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:192.0.2.7") == address_key("192.0.2.7")
    assert address_key(None) == "addr:unknown"


# --- apps with their own verify settings ----------------------------------------------------


@pytest.fixture
def make_app(settings: Settings) -> Iterator[Any]:
    """``create_app`` with some ``BADGES_VERIFY_*`` settings changed (same database)."""
    made: list[FastAPI] = []

    def factory(**changes: Any) -> FastAPI:
        app = create_app(settings.model_copy(update=changes))
        made.append(app)
        return app

    yield factory
    for app in made:
        app.state.engine.dispose()
        if app.state.autocommit_engine is not None:
            app.state.autocommit_engine.dispose()


def _credential(client: TestClient, admin: dict[str, str]) -> tuple[IssuerHandle, dict[str, Any]]:
    issuer = make_issuer(client, admin)
    achievement = make_achievement(client, issuer)
    return issuer, issue(client, issuer, achievement["id"])


def test_rate_limit_is_429_with_retry_after_per_client(
    make_app: Any, admin_headers: dict[str, str]
) -> None:
    app = make_app(verify_rate_per_minute=2, verify_burst=2)
    client = TestClient(app, raise_server_exceptions=False)
    issuer, created = _credential(client, admin_headers)
    body = {"url": created["url"]}
    for _ in range(2):
        assert client.post("/api/v1/verify", json=body).status_code == 200
    refused = client.post("/api/v1/verify", json=body)
    problem = assert_problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    assert "2 requests a minute" in problem["detail"]
    # The /verify page shares the address's bucket, and says so in the page.
    page = client.post("/verify", data={"url": created["url"]}, headers=HTML)
    assert page.status_code == 429
    assert page.headers["Retry-After"] == refused.headers["Retry-After"]
    assert "Too many verifications" in page.text
    # An issuer's API key is another client, with its own (larger) allowance.
    for _ in range(5):
        ok = client.post("/api/v1/verify", json=body, headers=issuer.headers)
        assert ok.status_code == 200, ok.text
    assert client.post("/api/v1/verify", json=body, headers=admin_headers).status_code == 200
    # A key that does not work is refused, not downgraded to anonymous.
    bad = client.post("/api/v1/verify", json=body, headers={"Authorization": "Bearer obk_x_y"})
    assert_problem(bad, 401)
    # Another scheme (a proxy's Basic credentials) is the anonymous caller, already refused.
    basic = client.post("/api/v1/verify", json=body, headers={"Authorization": "Basic eDp5"})
    assert_problem(basic, 429)


def test_an_ipv6_site_cycling_through_its_64s_shares_one_wider_bucket(
    make_app: Any, admin_headers: dict[str, str]
) -> None:
    app = make_app(verify_rate_per_minute=1, verify_burst=1)
    setup = TestClient(app, raise_server_exceptions=False)
    _, created = _credential(setup, admin_headers)
    body = {"url": created["url"]}

    def from_host(host: str) -> int:
        client = TestClient(app, raise_server_exceptions=False, client=(host, 50000))
        return client.post("/api/v1/verify", json=body).status_code

    # Each /64 has a bucket of one; the /48 holds NETWORK_FACTOR of them in all.
    answers = [from_host(f"2001:db8:7:{n:x}::1") for n in range(admission.NETWORK_FACTOR + 4)]
    assert answers == [200] * admission.NETWORK_FACTOR + [429] * 4
    assert from_host("2001:db8:8::1") == 200  # another site
    assert from_host("192.0.2.1") == 200  # IPv4 addresses draw on their own bucket only
    assert network_key("192.0.2.1") is None
    assert network_key("2001:db8:7:ffff::1") == "net:2001:db8:7::/48"


def _many_blank_nodes(document: dict[str, Any], count: int) -> dict[str, Any]:
    """The credential with ``count`` extra objects without an id (each a blank node)."""
    bloated = dict(document)
    bloated["evidence"] = [{"narrative": f"{n}"} for n in range(count)]
    return bloated


def test_anonymous_limits_refuse_what_an_api_key_may_verify(
    make_app: Any, admin_headers: dict[str, str]
) -> None:
    app = make_app(max_body_bytes=1_000_000, verify_rate_per_minute=0)
    client = TestClient(app, raise_server_exceptions=False)
    issuer, created = _credential(client, admin_headers)
    credential = created["credential"]
    assert count_blank_nodes(credential) < 20  # room for real credentials
    bloated = _many_blank_nodes(credential, 1600)
    assert len(json.dumps(bloated)) < ANONYMOUS_LIMITS.max_bytes  # it is the count that trips

    body = json.dumps(bloated, separators=(",", ":"))
    json_type = {"Content-Type": "application/json"}
    refused = client.post("/api/v1/verify", content=body, headers=json_type)
    problem = assert_problem(refused, 413, "$")
    assert "blank nodes" in problem["detail"]
    assert "API key" in problem["detail"]
    page = client.post("/verify", data={"text": body}, headers=HTML)
    assert page.status_code == 413
    assert "without an API key" in page.text

    accepted = client.post("/api/v1/verify", content=body, headers=issuer.headers | json_type)
    assert accepted.status_code == 200, accepted.text
    report = accepted.json()
    assert report["checks"][0] == {**report["checks"][0], "id": "format", "status": "valid"}
    assert report["verified"] is False  # the evidence was added after signing

    # Under the anonymous limits, an unmodified credential still verifies anonymously.
    assert client.post("/api/v1/verify", json=credential).json()["verified"] is True


def test_anonymous_size_and_depth_limits_name_the_place(client: TestClient) -> None:
    deep: dict[str, Any] = {"@context": ["https://www.w3.org/ns/credentials/v2"]}
    node = deep
    for _ in range(40):
        node["credentialSubject"] = {}
        node = node["credentialSubject"]
    problem = assert_problem(client.post("/api/v1/verify", json=deep), 413)
    assert problem["field"].startswith("$.credentialSubject.credentialSubject")


def test_issuing_and_pages_proceed_while_the_verify_lane_is_saturated(
    make_app: Any, admin_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(verify_threads=1, verify_queue=1, verify_rate_per_minute=0)
    release = threading.Event()
    entered = threading.Event()
    real = service.verify_document

    def slow_verify(session: Any, data: Any, **kwargs: Any) -> Any:
        """Hold the flood's verifications (only theirs: the page verifies its credential)."""
        if isinstance(data, dict) and data.get("id") == created["credential"]["id"]:
            entered.set()
            assert release.wait(30), "never released"
        return real(session, data, **kwargs)

    with TestClient(app, raise_server_exceptions=False) as client:
        issuer, created = _credential(client, admin_headers)
        achievement = make_achievement(client, issuer)
        monkeypatch.setattr(service, "verify_document", slow_verify)
        statuses: list[tuple[int, str | None]] = []

        def verify_once() -> None:
            response = client.post("/api/v1/verify", json=created["credential"])
            statuses.append((response.status_code, response.headers.get("Retry-After")))

        # More verifications at once than the shared thread pool (40) has threads.
        floods = [threading.Thread(target=verify_once) for _ in range(45)]
        try:
            for thread in floods:
                thread.start()
            assert entered.wait(10)
            deadline = time.monotonic() + 10
            while len(statuses) < 45 - 2 and time.monotonic() < deadline:
                time.sleep(0.02)  # the refused ones answer at once

            done: dict[str, Any] = {}

            def issue_and_read() -> None:
                started = time.monotonic()
                fresh = issue(client, issuer, achievement["id"])
                page = client.get(f"/credentials/{fresh['id']}", headers=HTML)
                done.update(status=page.status_code, seconds=time.monotonic() - started)

            worker = threading.Thread(target=issue_and_read)
            worker.start()
            worker.join(timeout=15)
            assert not worker.is_alive(), "issuing waited for the verify lane"
            assert done["status"] == 200
            busy = [s for s in statuses if s[0] == 503]
            assert len(busy) == 45 - 2  # one verifying, one queued, the rest refused at once
            assert all(retry == "1" for _, retry in busy)
        finally:
            release.set()
            for thread in floods:
                thread.join(timeout=30)
    assert sorted(s for s, _ in statuses).count(200) == 2
