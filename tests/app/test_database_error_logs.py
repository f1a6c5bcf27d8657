"""Database errors are logged by kind and code, never with the values (issue 9, item 5); the
development banner shows only an admin token the service generated."""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import IssuerHandle
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from app.cli import _print_urls
from app.core.config import Settings, ensure_secrets
from app.core.db import SessionDep
from app.core.logging import JsonFormatter
from app.main import create_app
from app.models import ApiKey

EMAIL = f"victim-{secrets.token_hex(4)}@example.com"


@pytest.fixture
def failing_app(settings: Settings, issuer: IssuerHandle) -> Iterator[tuple[FastAPI, str]]:
    """An app with one extra route whose INSERT breaks the unique API-key hash, carrying a
    recipient e-mail and the hash as parameters (PostgreSQL also quotes the duplicate key in
    its own message: ``DETAIL: Key (token_hash)=(…) already exists``)."""
    app = create_app(settings)
    token_hash = hashlib.sha256(secrets.token_bytes(16)).hexdigest()

    @app.post("/test-only/duplicate-key")
    def duplicate_key(session: SessionDep) -> None:
        row = {
            "issuer_id": uuid.UUID(issuer.id),
            "name": EMAIL,
            "prefix": "obk_test",
            "token_hash": token_hash,
        }
        session.execute(insert(ApiKey), [{**row, "id": uuid.uuid4()}, {**row, "id": uuid.uuid4()}])
        session.commit()

    @app.post("/test-only/wrapped")
    def wrapped(session: SessionDep) -> None:
        try:
            duplicate_key(session)
        except IntegrityError as error:
            raise RuntimeError("a bug of ours, raised while handling it") from error

    yield app, token_hash
    app.state.engine.dispose()
    if app.state.autocommit_engine is not None:
        app.state.autocommit_engine.dispose()


def _everything_logged(records: list[logging.LogRecord]) -> str:
    """Each record as the JSON line the service writes, and as plain text with traceback."""
    json_lines = JsonFormatter()
    plain = logging.Formatter("%(message)s")
    return "\n".join(json_lines.format(r) + "\n" + plain.format(r) for r in records)


@pytest.mark.parametrize("route", ["/test-only/duplicate-key", "/test-only/wrapped"])
def test_a_database_error_is_logged_without_its_values(
    failing_app: tuple[FastAPI, str], caplog: pytest.LogCaptureFixture, route: str
) -> None:
    app, token_hash = failing_app
    with caplog.at_level(logging.DEBUG):
        response = TestClient(app, raise_server_exceptions=False).post(route)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    logged = _everything_logged(caplog.records)
    assert EMAIL not in logged
    assert token_hash not in logged
    errors = [r for r in caplog.records if r.name == "app.errors"]
    assert len(errors) == 1
    record = errors[0].__dict__
    assert record["db_error"] == "IntegrityError"
    assert record["db_statement"] == "INSERT api_keys"
    assert record["db_code"] in {"23505", "SQLITE_CONSTRAINT_UNIQUE"}  # unique violation
    assert "duplicate_key" in record["stack"] or route.endswith("wrapped")  # where, still


def test_banner_shows_only_a_generated_admin_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.delenv("BADGES_ADMIN_TOKEN", raising=False)
    monkeypatch.setenv("BADGES_DATA_DIR", str(tmp_path / "data"))
    generated, names = ensure_secrets(Settings())
    assert "BADGES_ADMIN_TOKEN" in names
    _print_urls(generated, None)
    assert generated.admin_token_value() in capsys.readouterr().out

    operator_token = secrets.token_urlsafe(32)
    monkeypatch.setenv("BADGES_ADMIN_TOKEN", operator_token)
    from_environment, names = ensure_secrets(Settings())
    assert "BADGES_ADMIN_TOKEN" not in names
    _print_urls(from_environment, None)
    printed = capsys.readouterr().out
    assert operator_token not in printed
    assert "set by BADGES_ADMIN_TOKEN" in printed
