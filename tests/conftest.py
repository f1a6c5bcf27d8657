"""Shared fixtures: one migrated database per test session (per xdist worker), the app, clients.

The database is SQLite in a temporary folder, or PostgreSQL when BADGES_TEST_DATABASE_URL is
set: then every database a test needs is created under a unique name derived from the configured
one and dropped when the session ends; the configured database itself is never touched. Tests isolate themselves by creating their
own issuers — every API object is issuer-scoped — so services really commit, as in production,
and concurrency tests see each other's writes.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pg_test_databases import create_postgres_database, drop_created_databases
from sqlalchemy import Engine

from app import hot
from app.core.config import Settings
from app.core.migrations import upgrade
from app.main import create_app
from app.wiring import subscribe_all

subscribe_all()  # before any fixture's session records a domain event

ADMIN_TOKEN = "test-admin-token-" + "x" * 24
TEST_BASE_URL = "https://badges.test"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Leave the PostgreSQL server as the run found it."""
    drop_created_databases()


def fresh_database_url(tmp_path: Path, suffix: str = "") -> str:
    """A fresh, empty database (``suffix`` names what it is for, e.g. ``_migrations``)."""
    configured = os.environ.get("BADGES_TEST_DATABASE_URL")
    if configured:
        return create_postgres_database(configured, suffix)
    return f"sqlite:///{(tmp_path / f'badges{suffix}.db').as_posix()}"


@pytest.fixture(scope="session")
def database_url_factory() -> Callable[[Path, str], str]:
    """``fresh_database_url`` for tests that need a database of their own (migrations)."""
    return fresh_database_url


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Test settings: explicit secrets, an https base URL, a fresh migrated database."""
    data_dir = tmp_path_factory.mktemp("data")
    url = fresh_database_url(data_dir)
    upgrade(url)
    return Settings(
        environment="development",
        data_dir=data_dir,
        database_url=url,
        base_url=TEST_BASE_URL,
        admin_token=ADMIN_TOKEN,
        key_encryption_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        max_body_bytes=64_000,
        # The suite sends every verification from one address; the per-client rate limit has
        # its own tests (tests/app/test_verify_guards.py).
        verify_rate_per_minute=0,
        claim_rate_per_minute=0,  # likewise the claim pages (tests/app/offers/ tests the limit)
        # Batches are processed in this process on both databases here; the worker processes
        # (procrastinate, PostgreSQL) have their own tests (tests/app/batches/test_workers.py).
        job_runner="embedded",
        # Deliveries are driven by outbox.run_once in the tests that look at them; the relay
        # thread has its own tests (tests/app/outbox/).
        outbox_relay=False,
    )


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[FastAPI]:
    """The application under test (one per session; its engine is disposed at the end)."""
    application = create_app(settings)
    yield application
    runner = application.state.job_runner  # stopped before its database is dropped
    if runner is not None:
        from app.jobs.dispatch import DISPATCH

        DISPATCH.detach(runner.wake)
        runner.stop()
    application.state.engine.dispose()
    if application.state.autocommit_engine is not None:
        application.state.autocommit_engine.dispose()


@pytest.fixture(scope="session")
def engine(app: FastAPI) -> Engine:
    """The application's engine, for counting rows and direct checks."""
    engine: Engine = app.state.engine
    return engine


@pytest.fixture(autouse=True)
def _cold_worker() -> None:
    """Each test starts with this worker's caches and hints empty (see :mod:`app.hot`)."""
    hot.clear_all()


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    """A client that raises nothing: every error must arrive as an HTTP response."""
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def quiet_outbox(engine: Engine) -> None:
    """Mark what earlier tests left in the outbox as handled, so that ``outbox.run_once`` in
    the test sends only what the test itself caused (the relay thread is off in the suite)."""
    from sqlalchemy import update

    from app.models import Delivery, OutboxEvent
    from app.models.base import utcnow

    with engine.begin() as connection:
        connection.execute(
            update(OutboxEvent)
            .where(OutboxEvent.dispatched_at.is_(None))
            .values(dispatched_at=utcnow())
        )
        connection.execute(
            update(Delivery).where(Delivery.state == "pending").values(state="cancelled")
        )


@pytest.fixture
def admin_headers() -> dict[str, str]:
    """Authorization header of the admin token."""
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def is_postgres(engine: Engine) -> bool:
    """True when the suite runs on PostgreSQL."""
    return engine.dialect.name == "postgresql"
