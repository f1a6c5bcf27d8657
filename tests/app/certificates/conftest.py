"""Fixtures of the certificate tests: a service with credentials in every state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from certificate_support import CertificateSite, issue_credentials
from fastapi.testclient import TestClient
from web_support import TEST_BASE, make_app, make_settings

from app.hot import public as hot


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CertificateSite]:
    """A fresh service with the credentials above (module-scoped: issuing signs)."""
    app = make_app(make_settings(tmp_path_factory.mktemp("certificates"), TEST_BASE))
    client = TestClient(app, base_url=TEST_BASE)
    ids = issue_credentials(client)
    yield CertificateSite(client, ids, TEST_BASE)
    client.close()
    app.state.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_certificates() -> None:
    """Each test makes its certificates afresh (the cache is per process)."""
    hot.certificates.clear()
