"""Fixtures of the API tests: a fresh issuer (with API key) and achievement per test."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from api_support import IssuerHandle, make_achievement, make_issuer
from fastapi.testclient import TestClient


@pytest.fixture
def issuer(client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    """Issuer A of the test."""
    return make_issuer(client, admin_headers)


@pytest.fixture
def other_issuer(client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    """Issuer B: must never see anything of A."""
    return make_issuer(client, admin_headers)


@pytest.fixture
def achievement(client: TestClient, issuer: IssuerHandle) -> dict[str, Any]:
    """An achievement of issuer A."""
    return make_achievement(client, issuer)


@pytest.fixture
def cli_env(tmp_path: Path, database_url_factory: Callable[[Path, str], str]) -> dict[str, str]:
    """Environment for the ``badges`` CLI: a fresh database and explicit secrets."""
    return {
        "BADGES_DATABASE_URL": database_url_factory(tmp_path, "_cli"),
        "BADGES_DATA_DIR": str(tmp_path),
        "BADGES_BASE_URL": "https://demo.badges.test",
        "BADGES_ADMIN_TOKEN": "cli-admin-" + "z" * 24,
        "BADGES_KEY_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }
