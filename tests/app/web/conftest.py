"""Fixtures for the page tests: an app on a fresh SQLite database, and the same app live."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient
from web_support import (
    TEST_BASE,
    LiveSite,
    ProgramData,
    Site,
    issue_fixtures,
    issue_program,
    make_app,
    make_settings,
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


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="session")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """uvicorn in a thread on a random free port, serving freshly issued credentials."""
    sock = _free_socket()
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"  # did:web resolves loopback hosts over http
    app = make_app(make_settings(tmp_path_factory.mktemp("live"), base))
    client = TestClient(app, base_url=base)
    ids = issue_fixtures(client)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield LiveSite(f"http://127.0.0.1:{port}", base, ids, client)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    client.close()
    app.state.engine.dispose()


@pytest.fixture(scope="session")
def live_program(live_site: LiveSite) -> ProgramData:
    """A bilingual program and an awarded learner on the live site (see ``issue_program``)."""
    return issue_program(live_site.client)
