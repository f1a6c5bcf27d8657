"""A second instance of the service, as the other Open Badges host: its own database and base
URL (``http://127.0.0.1:<port>``), served by uvicorn on a real socket, so the consumer (the
suite's app, ``https://badges.test``) reaches it over HTTP through its SSRF guard.

The host verifies what it is sent; the credentials come from the consumer, whose issuer
documents live at ``https://badges.test/…`` — a name without DNS or TLS in a test. The host's
verifier therefore fetches them through its real :class:`~app.core.fetch.SafeFetcher` (address
checks, pinning, size cap) with the consumer app as the transport.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from live_server import free_port
from obconsumer_support import Host

from app.core.config import Settings
from app.core.fetch import SafeFetcher
from app.core.migrations import upgrade
from app.core.ratelimit import TokenBucketLimiter
from app.main import create_app
from app.verification import service as verification

_APP_TESTS = Path(__file__).resolve().parents[1]
for _helpers in ("web", "mail"):  # web_support for the browser test, mail_support for e-mail
    if str(_APP_TESTS / _helpers) not in sys.path:
        sys.path.append(str(_APP_TESTS / _helpers))

PUBLIC_ADDRESS = "93.184.216.34"
"""What ``badges.test`` "resolves" to for the host's verifier (a public address: the
transport is in-process, nothing connects to it)."""


@pytest.fixture(scope="module")
def host(
    settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
    database_url_factory: Callable[[Path, str], str],
) -> Iterator[Host]:
    data_dir = tmp_path_factory.mktemp("host")
    url = database_url_factory(data_dir, "_host")
    upgrade(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    host_settings = settings.model_copy(
        update={"base_url": base, "database_url": url, "data_dir": data_dir}
    )
    application = create_app(host_settings)
    application.state.obapi_limiter = TokenBucketLimiter(0, 1)
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1.0).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the host did not start")
        time.sleep(0.05)
    try:
        yield Host(application, base)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runner = application.state.job_runner
        if runner is not None:
            from app.jobs.dispatch import DISPATCH

            DISPATCH.detach(runner.wake)
            runner.stop()
        application.state.engine.dispose()
        if application.state.autocommit_engine is not None:
            application.state.autocommit_engine.dispose()


@pytest.fixture
def consumer(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    """The suite's app as the consumer, with ``BADGES_ALLOW_PRIVATE_FETCH`` on (the host
    listens on 127.0.0.1); the host's verifier reaches the consumer's documents in-process."""
    context = app.state.context
    settings = context.settings.model_copy(update={"allow_private_fetch": True})
    app.state.context = dataclasses.replace(context, settings=settings)
    transport = TestClient(app)._transport

    def fetcher(host_context: object) -> SafeFetcher:
        return SafeFetcher(
            host_context.settings,  # type: ignore[attr-defined]
            transport=transport,
            resolve=lambda _host, _port: [PUBLIC_ADDRESS],
        )

    monkeypatch.setattr(verification, "_safe_fetcher", fetcher)
    try:
        yield app
    finally:
        app.state.context = context
