"""Database down ⇒ 503 with ``Retry-After`` on every route, and the connection stays open.

Issue 9, item 16: an outage used to give a 500, after which uvicorn closed the keep-alive
connection without a word (Starlette's catch-all handler re-raises once it has answered), so a
client's next request on that connection got no response at all. These tests speak real HTTP
to uvicorn and check that consecutive requests on one client travel the *same* TCP connection.
"""

from __future__ import annotations

import base64
import logging
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import ACHIEVEMENT, issue
from fastapi import FastAPI
from fastapi.testclient import TestClient
from live_server import thread_server
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.core.config import Settings
from app.core.errors import PROBLEM_MEDIA_TYPE, RETRY_AFTER_S
from app.core.migrations import upgrade
from app.credentials import issuing
from app.main import create_app

ADMIN = "outage-admin-" + secrets.token_urlsafe(24)
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN}"}


def _settings(url: str, data_dir: Path) -> Settings:
    return Settings(
        environment="development",
        data_dir=data_dir,
        database_url=url,
        base_url="https://badges.test",
        admin_token=ADMIN,
        key_encryption_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        _env_file=None,  # type: ignore[call-arg]
    )


def _world(client: httpx.Client) -> dict[str, Any]:
    """An issuer, its key and a credential id, made while the database is up."""
    issuer = client.post("/api/v1/issuers", json={"name": {"en": "U"}}, headers=ADMIN_HEADERS)
    assert issuer.status_code == 201, issuer.text
    issuer_id = issuer.json()["id"]
    key = client.post(f"/api/v1/issuers/{issuer_id}/api-keys", headers=ADMIN_HEADERS).json()
    headers = {"Authorization": f"Bearer {key['token']}"}
    achievement = client.post("/api/v1/achievements", json=ACHIEVEMENT, headers=headers)
    assert achievement.status_code == 201, achievement.text
    body = {"achievementId": achievement.json()["id"], "recipient": {"email": "a@example.org"}}
    credential = client.post("/api/v1/credentials", json=body, headers=headers)
    assert credential.status_code == 201, credential.text
    credential_id = credential.json()["id"]
    assert client.get(f"/credentials/{credential_id}.json").status_code == 200  # now in memory
    return {"issuer": issuer_id, "key": headers, "credential": credential_id}


def _requests(world: dict[str, Any]) -> list[tuple[str, str, dict[str, str], Any, bool]]:
    """(method, path, headers, json body, is a browser page) — one of every kind of route."""
    issuer, key = world["issuer"], world["key"]
    unknown = uuid.uuid4()
    issue = {"achievementId": str(uuid.uuid4()), "recipient": {"email": "victim@example.com"}}
    html = {"Accept": "text/html"}
    return [
        ("GET", "/readyz", {}, None, False),
        ("GET", "/api/v1/achievements", key, None, False),  # issuer key check
        ("POST", "/api/v1/credentials", key, issue, False),  # the async issuing route
        ("GET", "/api/v1/issuers", ADMIN_HEADERS, None, False),
        ("GET", f"/issuers/{issuer}", {}, None, False),  # public JSON
        ("GET", f"/issuers/{issuer}/did.json", {}, None, False),
        ("GET", f"/credentials/{unknown}.json", {}, None, False),  # past the pre-routing cache
        ("GET", f"/credentials/{unknown}", html, None, True),  # a page
    ]


def _connection_of(response: httpx.Response) -> object:
    """The client-side address of the TCP connection that carried ``response``."""
    return response.extensions["network_stream"].get_extra_info("client_addr")


def _assert_unavailable_on_one_connection(client: httpx.Client, world: dict[str, Any]) -> None:
    connections = set()
    for _round in range(2):  # every route twice, one after the other, on the same client
        for method, path, headers, body, page in _requests(world):
            response = client.request(method, path, headers=headers, json=body)
            assert response.status_code == 503, (path, response.status_code, response.text)
            assert response.headers["retry-after"] == str(RETRY_AFTER_S), path
            assert response.headers.get("connection", "").lower() != "close", path
            if page:
                assert response.headers["content-type"].startswith("text/html"), path
            else:
                assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE, path
                assert response.json()["status"] == 503
            connections.add(_connection_of(response))
        # What the pre-routing shortcut holds in memory needs no database: still served.
        cached = client.get(f"/credentials/{world['credential']}.json")
        assert cached.status_code == 200
        connections.add(_connection_of(cached))
    assert len(connections) == 1, "the server closed the keep-alive connection"


def _wait_ready(client: httpx.Client) -> None:
    for _ in range(50):
        if client.get("/readyz").status_code == 200:
            return
    pytest.fail("the service did not recover once the database was back")


@contextmanager
def _postgres_unreachable(url: str) -> Iterator[None]:
    """The database refuses new connections and its open ones are ended (server side)."""
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
    try:
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


@contextmanager
def _sqlite_unreachable(app: FastAPI, folder: Path) -> Iterator[None]:
    """The database file's folder is gone (unmounted volume) and pooled connections dropped."""
    away = folder.with_name(folder.name + "-away")
    folder.rename(away)
    app.state.engine.dispose()
    try:
        yield
    finally:
        away.rename(folder)


def test_postgresql_down_is_503_on_every_route_on_one_connection(
    tmp_path: Path,
    database_url_factory: Callable[[Path, str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = database_url_factory(tmp_path, "_outage")
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (BADGES_TEST_DATABASE_URL); the SQLite variant is below")
    upgrade(url)
    app = create_app(_settings(url, tmp_path / "data"))
    try:
        with thread_server(app) as base, httpx.Client(base_url=base, timeout=30) as client:
            world = _world(client)
            with _postgres_unreachable(url), caplog.at_level(logging.WARNING, "app"):
                _assert_unavailable_on_one_connection(client, world)
            # the API-key check's own async connections (app.core.key_reader) said so too
            assert "database unavailable (API-key check)" in caplog.messages
            _wait_ready(client)
            assert client.get("/api/v1/achievements", headers=world["key"]).status_code == 200
    finally:
        app.state.engine.dispose()
        app.state.autocommit_engine.dispose()


def test_sqlite_unreachable_is_503_on_every_route_on_one_connection(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    url = f"sqlite:///{(folder / 'badges.db').as_posix()}"
    folder.mkdir()
    upgrade(url)
    app = create_app(_settings(url, tmp_path / "data"))
    try:
        with thread_server(app) as base, httpx.Client(base_url=base, timeout=30) as client:
            world = _world(client)
            with _sqlite_unreachable(app, folder):
                _assert_unavailable_on_one_connection(client, world)
            _wait_ready(client)
            assert client.get("/api/v1/achievements", headers=world["key"]).status_code == 200
    finally:
        app.state.engine.dispose()


def test_an_outage_inside_the_signing_lane_is_503(
    client: TestClient, admin_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issuing route hands its work to a lane thread; an outage there is a 503 too."""
    issuer = client.post("/api/v1/issuers", json={"name": {"en": "U"}}, headers=admin_headers)
    issuer_id = issuer.json()["id"]
    key = client.post(f"/api/v1/issuers/{issuer_id}/api-keys", headers=admin_headers).json()

    def refused(*_args: object, **_kwargs: object) -> object:
        raise OperationalError("INSERT INTO credentials", {}, ConnectionRefusedError(111))

    monkeypatch.setattr(issuing, "issue_credential", refused)
    response = client.post(
        "/api/v1/credentials",
        json={"achievementId": str(uuid.uuid4()), "recipient": {"email": "a@example.com"}},
        headers={"Authorization": f"Bearer {key['token']}"},
    )
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER_S)
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE


def test_an_outage_while_verifying_is_503_and_no_verdict_is_kept(
    client: TestClient,
    issuer: Any,
    achievement: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database fails while our own DID document and status list are read for a verdict.

    The library's checks turn any exception into an "unknown" check, so an outage there used
    to be a 200 "not verified" report from ``POST /api/v1/verify`` and a credential page saying
    "could not be checked", kept for a minute after the database was back.
    """
    from app.hot import verification as hot_verification
    from app.signing_keys import service as signing_keys
    from app.status import service as status_service
    from app.web import credential_page

    issued = issue(client, issuer, achievement["id"])
    credential_page.clear_caches()
    hot_verification.did_documents.clear()

    def refused(*_args: object, **_kwargs: object) -> object:
        raise OperationalError("SELECT FROM status_lists", {}, ConnectionRefusedError(111))

    with monkeypatch.context() as patch:
        patch.setattr(status_service, "published_document", refused)
        patch.setattr(signing_keys, "did_document", refused)
        verified = client.post("/api/v1/verify", json=issued["credential"])
        page = client.get(f"/credentials/{issued['id']}", headers={"Accept": "text/html"})
    assert verified.status_code == 503, verified.text
    assert verified.headers["retry-after"] == str(RETRY_AFTER_S)
    assert page.status_code == 503, page.text[:300]
    assert page.headers["retry-after"] == str(RETRY_AFTER_S)
    # the database is back: the page shows the true verdict, not one kept from the outage
    page = client.get(f"/credentials/{issued['id']}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert 'data-banner="verified"' in page.text
    assert client.post("/api/v1/verify", json=issued["credential"]).json()["verified"] is True
