"""Usage counting (issue 14, item 3): page views, verifications and LinkedIn click-throughs are
counted in the worker's memory through the real app and flushed in batches to usage_counts;
nothing about the visitor is stored."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest
from api_support import IssuerHandle, issue, make_achievement
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import OperationalError

from app.hot import usage
from app.main import create_app
from app.models import Credential, UsageCount
from app.reports import counters, repository

HTML = {"Accept": "text/html"}
BASE = "https://badges.test"


def rows(engine: Engine, issuer: IssuerHandle) -> dict[tuple[uuid.UUID, date, str], int]:
    """The issuer's usage_counts rows, ``(achievement version, day, kind) -> count``."""
    with engine.connect() as connection:
        found = connection.execute(
            select(
                UsageCount.achievement_id, UsageCount.day, UsageCount.kind, UsageCount.count
            ).where(UsageCount.issuer_id == uuid.UUID(issuer.id))
        ).all()
    return {(a, d if isinstance(d, date) else date.fromisoformat(d), k): n for a, d, k, n in found}


def version_of(engine: Engine, credential_id: str) -> uuid.UUID:
    with engine.connect() as connection:
        found: uuid.UUID = connection.execute(
            select(Credential.achievement_id).where(Credential.id == uuid.UUID(credential_id))
        ).scalar_one()
    return found


def today() -> date:
    return datetime.now(UTC).date()


def test_page_views_cached_or_not_are_counted_and_nothing_else(
    app: FastAPI, client: TestClient, engine: Engine, issuer: IssuerHandle
) -> None:
    first_achievement = make_achievement(client, issuer)
    second_achievement = make_achievement(client, issuer, name="Statistics")
    one = issue(client, issuer, first_achievement["id"])
    two = issue(client, issuer, second_achievement["id"])
    expected: Counter[tuple[uuid.UUID, date, str]] = Counter()
    etag = None
    for n in range(5):  # the first renders, the rest are cached hits (the pre-routing shortcut)
        page = client.get(f"/credentials/{one['id']}", headers=HTML)
        assert page.status_code == 200
        etag = page.headers["etag"]
        expected[(version_of(engine, one["id"]), today(), "view")] += 1
        if n % 2:
            time.sleep(1.05)  # past the state's second: the state is read again
    revalidated = client.get(f"/credentials/{one['id']}", headers={**HTML, "If-None-Match": etag})
    assert revalidated.status_code == 304
    expected[(version_of(engine, one["id"]), today(), "view")] += 1
    for _ in range(2):
        assert client.get(f"/credentials/{two['id']}", headers=HTML).status_code == 200
        expected[(version_of(engine, two["id"]), today(), "view")] += 1
    # machine forms, QR codes and images are not views
    assert client.get(f"/credentials/{one['id']}.json").status_code == 200
    assert client.get(
        f"/credentials/{one['id']}", headers={"Accept": "application/json"}
    ).is_success
    assert client.get(f"/credentials/{one['id']}/qr.svg").status_code == 200
    assert client.get(f"/credentials/{one['id']}/badge.png").status_code == 200
    assert client.get(f"/credentials/{uuid.uuid4()}", headers=HTML).status_code == 404

    assert rows(engine, issuer) == {}  # counted in memory only, until a flush
    assert counters.flush(app.state.sessionmaker) == sum(expected.values())
    assert rows(engine, issuer) == dict(expected)
    assert counters.pending() == {}


def test_verifications_of_our_credentials_are_counted(
    app: FastAPI, client: TestClient, engine: Engine, issuer: IssuerHandle, achievement: Any
) -> None:
    credential = issue(client, issuer, achievement["id"], proof="both")
    signed = credential["credential"]
    key = (version_of(engine, credential["id"]), today(), "verify")
    calls = [
        client.post("/api/v1/verify", json=signed),
        client.post("/api/v1/verify", json=credential["jwt"]),
        client.post("/api/v1/verify", json={"url": f"{BASE}/credentials/{credential['id']}"}),
        client.post("/verify", data={"url": f"{BASE}/credentials/{credential['id']}.jwt"}),
        client.post("/verify", data={"url": f"{BASE}/credentials/{credential['id']}?lang=en"}),
    ]
    assert [c.status_code for c in calls] == [200] * 5, [c.text for c in calls]
    assert all(c.json()["verified"] for c in calls[:3])
    # not counted: a document that is not one of ours, nothing usable, the page's own check
    forged = {**signed, "id": f"{BASE}/credentials/{uuid.uuid4()}"}
    assert client.post("/api/v1/verify", json=forged).json()["verified"] is False
    assert client.post("/api/v1/verify", json={"url": "not a url"}).status_code == 422
    assert client.get(f"/credentials/{credential['id']}", headers=HTML).status_code == 200

    counters.flush(app.state.sessionmaker)
    found = rows(engine, issuer)
    assert found[key] == 5
    assert found[(key[0], key[1], "view")] == 1
    assert set(found) == {key, (key[0], key[1], "view")}


def test_linkedin_click_throughs_are_counted_and_redirected(
    app: FastAPI, client: TestClient, engine: Engine, issuer: IssuerHandle, achievement: Any
) -> None:
    credential = issue(client, issuer, achievement["id"])
    hidden = issue(client, issuer, achievement["id"])
    with engine.begin() as connection:
        connection.execute(
            update(Credential).where(Credential.id == uuid.UUID(hidden["id"])).values(hidden=True)
        )
    for _ in range(3):
        click = client.get(
            f"/credentials/{credential['id']}/share/linkedin", follow_redirects=False
        )
        assert click.status_code == 303
        assert click.headers["location"].startswith("https://www.linkedin.com/profile/add?")
        assert f"certId={credential['id']}" in click.headers["location"]
    gone = client.get(f"/credentials/{hidden['id']}/share/linkedin", follow_redirects=False)
    assert gone.status_code == 404

    counters.flush(app.state.sessionmaker)
    assert rows(engine, issuer) == {(version_of(engine, credential["id"]), today(), "linkedin"): 3}


def test_nothing_about_the_visitor_is_stored(
    app: FastAPI, client: TestClient, engine: Engine, issuer: IssuerHandle, achievement: Any
) -> None:
    """Only the four-part key and a number: no e-mail, address, agent or credential id."""
    assert set(UsageCount.__table__.columns.keys()) == {
        "issuer_id",
        "achievement_id",
        "day",
        "kind",
        "count",
    }
    credential = issue(client, issuer, achievement["id"], recipient={"email": "ada@example.org"})
    client.get(
        f"/credentials/{credential['id']}",
        headers={**HTML, "User-Agent": "Probe/1.0", "X-Forwarded-For": "203.0.113.9"},
    )
    counters.flush(app.state.sessionmaker)
    with engine.connect() as connection:
        stored = connection.execute(
            select(UsageCount).where(UsageCount.issuer_id == uuid.UUID(issuer.id))
        ).all()
    text = repr(stored)
    for secret in ("ada@example.org", "203.0.113.9", "Probe", "testclient", credential["id"]):
        assert secret not in text


def test_a_flush_adds_to_the_stored_counts(
    app: FastAPI, engine: Engine, client: TestClient, issuer: IssuerHandle, achievement: Any
) -> None:
    credential = issue(client, issuer, achievement["id"])
    version = version_of(engine, credential["id"])
    issuer_id = uuid.UUID(issuer.id)
    for _ in range(3):
        usage.count(usage.VIEW, issuer_id, version)
    counters.flush(app.state.sessionmaker)
    for _ in range(4):
        usage.count(usage.VIEW, issuer_id, version)
    usage.count(usage.VERIFY, issuer_id, version)
    counters.flush(app.state.sessionmaker)
    assert rows(engine, issuer) == {
        (version, today(), "view"): 7,
        (version, today(), "verify"): 1,
    }


def test_a_failed_flush_keeps_the_counts_for_the_next(
    app: FastAPI,
    engine: Engine,
    client: TestClient,
    issuer: IssuerHandle,
    achievement: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    credential = issue(client, issuer, achievement["id"])
    version = version_of(engine, credential["id"])
    for _ in range(2):
        usage.count(usage.LINKEDIN, uuid.UUID(issuer.id), version)

    def down(*_args: Any) -> None:
        raise OperationalError("INSERT", {}, Exception("database is down"))

    with monkeypatch.context() as patched:
        patched.setattr(repository, "add_usage", down)
        with pytest.raises(OperationalError):
            counters.flush(app.state.sessionmaker)
    usage.count(usage.LINKEDIN, uuid.UUID(issuer.id), version)
    assert counters.flush(app.state.sessionmaker) == 3
    assert rows(engine, issuer) == {(version, today(), "linkedin"): 3}


def test_counts_of_rows_the_database_refuses_are_dropped(app: FastAPI) -> None:
    """An issuer the database does not have (another test app's): no retry would help."""
    usage.count(usage.VIEW, uuid.uuid4(), uuid.uuid4())
    assert counters.flush(app.state.sessionmaker) == 0
    assert counters.pending() == {}


def test_the_flusher_writes_after_enough_events(
    app: FastAPI, engine: Engine, client: TestClient, issuer: IssuerHandle, achievement: Any
) -> None:
    credential = issue(client, issuer, achievement["id"])
    version = version_of(engine, credential["id"])
    flusher = counters.UsageFlusher(app.state.sessionmaker, every_s=3600, after_events=4)
    flusher.start()
    try:
        for _ in range(4):
            usage.count(usage.VIEW, uuid.UUID(issuer.id), version)
        deadline = time.monotonic() + 10
        while not rows(engine, issuer) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert rows(engine, issuer) == {(version, today(), "view"): 4}
    finally:
        flusher.stop()
        usage.usage_counts.threshold = 0


def test_a_worker_writes_its_counts_when_it_stops(
    settings: Any, engine: Engine, client: TestClient, issuer: IssuerHandle, achievement: Any
) -> None:
    """The service's own flusher (started and stopped with the application)."""
    credential = issue(client, issuer, achievement["id"])
    worker = create_app(settings)
    with TestClient(worker, base_url=BASE) as browser:
        for _ in range(3):
            assert browser.get(f"/credentials/{credential['id']}", headers=HTML).is_success
        assert browser.get(
            f"/credentials/{credential['id']}/share/linkedin", follow_redirects=False
        ).is_redirect
    usage.usage_counts.threshold = 0
    version = version_of(engine, credential["id"])
    assert rows(engine, issuer) == {
        (version, today(), "view"): 3,
        (version, today(), "linkedin"): 1,
    }


def test_a_forked_child_does_not_inherit_its_parents_counts() -> None:
    store = usage.UsageCounts()
    store.add((uuid.uuid4().int, uuid.uuid4().int, 1, "view"))
    store.after_fork_in_child()
    assert len(store) == 0
    assert store.drain() == {}


def test_a_failed_write_is_logged_without_the_statements_values(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    issuer_id, version = uuid.uuid4(), uuid.uuid4()
    usage.count(usage.VIEW, issuer_id, version)

    def down(*_args: Any) -> None:
        raise OperationalError("INSERT INTO usage_counts", {"issuer_id": str(issuer_id)}, None)

    monkeypatch.setattr(repository, "add_usage", down)
    flusher = counters.UsageFlusher(app.state.sessionmaker)
    with caplog.at_level("WARNING", logger="app.reports"):
        flusher.stop()  # never started: writes what is left, as at shutdown
    assert "kept for the next try" in caplog.text
    assert str(issuer_id) not in caplog.text
    assert all(str(issuer_id) not in repr(r.__dict__) for r in caplog.records)
    assert counters.pending() == {
        (issuer_id.int, version.int, int(time.time()) // 86400, "view"): 1
    }
