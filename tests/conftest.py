"""Shared fixtures: one migrated database per test session (per xdist worker), the app, clients.

The database is SQLite in a temporary folder, or PostgreSQL when BADGES_TEST_DATABASE_URL is
set (a database per xdist worker, created fresh). Tests isolate themselves by creating their
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
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.migrations import upgrade
from app.main import create_app

ADMIN_TOKEN = "test-admin-token-" + "x" * 24
TEST_BASE_URL = "https://badges.test"


def _worker_suffix() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"_{worker}" if worker else ""


def recreate_postgres_database(url: str) -> str:
    """Drop and create the database named in ``url``; returns the URL."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": parsed.database},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}"'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    return url


def fresh_database_url(tmp_path: Path, suffix: str = "") -> str:
    """A fresh, empty database for this worker (``suffix`` separates extra databases)."""
    configured = os.environ.get("BADGES_TEST_DATABASE_URL")
    if configured:
        parsed = make_url(configured)
        name = f"{parsed.database}{_worker_suffix()}{suffix}"
        return recreate_postgres_database(
            parsed.set(database=name).render_as_string(hide_password=False)
        )
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
    )


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[FastAPI]:
    """The application under test (one per session; its engine is disposed at the end)."""
    application = create_app(settings)
    yield application
    application.state.engine.dispose()
    if application.state.autocommit_engine is not None:
        application.state.autocommit_engine.dispose()


@pytest.fixture(scope="session")
def engine(app: FastAPI) -> Engine:
    """The application's engine, for counting rows and direct checks."""
    engine: Engine = app.state.engine
    return engine


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    """A client that raises nothing: every error must arrive as an HTTP response."""
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def admin_headers() -> dict[str, str]:
    """Authorization header of the admin token."""
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def is_postgres(engine: Engine) -> bool:
    """True when the suite runs on PostgreSQL."""
    return engine.dialect.name == "postgresql"
