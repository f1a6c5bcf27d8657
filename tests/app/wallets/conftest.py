"""The wallet tests' live server fixture (see :mod:`wallet_support`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from live_server import free_port
from wallet_support import Live

from app.core.config import Settings
from app.main import create_app


@pytest.fixture(scope="session")
def live(settings: Settings) -> Iterator[Live]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(settings.model_copy(update={"base_url": url, "wallet_rate_per_minute": 0}))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    with httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(300):
            try:
                if http.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            threading.Event().wait(0.05)
        try:
            yield Live(url, app, http)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            app.state.engine.dispose()
            if app.state.autocommit_engine is not None:
                app.state.autocommit_engine.dispose()
