"""Fixtures for the page tests: an app on a fresh SQLite database, and the same app live."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_support import (
    TEST_BASE,
    LiveSite,
    ProgramData,
    Site,
    free_socket,
    issue_fixtures,
    issue_program,
    make_app,
    make_settings,
    serving,
)

from app.web import credential_page


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A fresh service with one credential in each state (module-scoped: issuing signs)."""
    app = make_app(make_settings(tmp_path_factory.mktemp("site"), TEST_BASE))
    client = TestClient(app, base_url=TEST_BASE)
    ids = issue_fixtures(client)
    yield Site(app, client, ids, TEST_BASE)
    client.close()
    app.state.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_page_cache() -> None:
    """Each test sees verification done afresh (the cache is per process)."""
    credential_page.clear_caches()


@pytest.fixture(scope="session")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """uvicorn in a thread on a random free port, serving freshly issued credentials."""
    sock = free_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"  # did:web resolves loopback over http
    app = make_app(make_settings(tmp_path_factory.mktemp("live"), base))
    client = TestClient(app, base_url=base)
    ids = issue_fixtures(client)
    with serving(app, sock):
        yield LiveSite(base, base, ids, client)
    client.close()
    app.state.engine.dispose()


@pytest.fixture(scope="session")
def live_program(live_site: LiveSite) -> ProgramData:
    """A bilingual program and an awarded learner on the live site (see ``issue_program``)."""
    return issue_program(live_site.client)
