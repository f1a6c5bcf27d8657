"""Fixtures of the webhook tests: a real HTTP receiver on 127.0.0.1 and an app that may reach it.

The session's app keeps ``allow_private_fetch`` off (as production does); ``hook_app`` is the
same service on the same database with ``BADGES_ALLOW_PRIVATE_FETCH`` on, so that a receiver
on the loopback address (and ``http``) is allowed, as for local development.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from _webhook_support import Received, Receiver
from api_support import IssuerHandle, make_achievement, make_issuer
from dripper_support import serve, unique_path
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.jobs.dispatch import DISPATCH
from app.main import create_app


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hook = state["receiver"]
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if not hook.url.endswith(self.path.split("?", 1)[0]):
                # a retry left by an earlier test whose receiver had this port: not ours
                self.send_response(410)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with hook.lock:
                hook.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
            if hook.delay_s:
                threading.Event().wait(hook.delay_s)
            status = hook.next_status()
            answer = b"nope" if status >= 300 else b"ok"
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

    with serve(Handler) as port:
        state["receiver"] = Receiver(url=f"http://127.0.0.1:{port}{unique_path('/hooks')}")
        yield state["receiver"]


@pytest.fixture(scope="module")
def hook_app(settings: Settings) -> Iterator[FastAPI]:
    """The service with ``BADGES_ALLOW_PRIVATE_FETCH`` on (same database as ``app``)."""
    application = create_app(settings.model_copy(update={"allow_private_fetch": True}))
    yield application
    runner = application.state.job_runner  # attached to the process-wide batch dispatch
    if runner is not None:
        DISPATCH.detach(runner.wake)
        runner.stop()
    application.state.engine.dispose()
    if application.state.autocommit_engine is not None:
        application.state.autocommit_engine.dispose()


@pytest.fixture
def hook_client(hook_app: FastAPI) -> TestClient:
    return TestClient(hook_app, raise_server_exceptions=False)


@pytest.fixture
def hook_issuer(hook_client: TestClient, admin_headers: dict[str, str]) -> IssuerHandle:
    return make_issuer(hook_client, admin_headers, suspensionEnabled=True)


@pytest.fixture
def hook_achievement(hook_client: TestClient, hook_issuer: IssuerHandle) -> dict[str, Any]:
    return make_achievement(hook_client, hook_issuer)
