"""Fixtures of the API tests: a fresh issuer (with API key) and achievement per test."""

from __future__ import annotations

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
