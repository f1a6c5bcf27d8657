"""Real HTTP servers for the tests that need a socket: keep-alive, several worker processes.

``thread_server(app)`` runs uvicorn on an application object in a thread of the test process
(the test can still reach ``app.state`` — its engine — to take the database away);
``process_server(env)`` runs ``uvicorn --factory app.main:create_app`` in a process of its
own, like one worker of ``badges serve --workers N`` (its own module globals and caches).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, alive: object, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(alive) and not alive():
            raise RuntimeError(f"the server at {url} exited early")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server at {url} did not start")


@contextmanager
def thread_server(app: FastAPI) -> Iterator[str]:
    """uvicorn serving ``app`` on a free port in a thread; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, thread.is_alive)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def process_server(env: dict[str, str], log: Path) -> Iterator[str]:
    """``create_app()`` under uvicorn in its own process (settings from ``env``); stderr goes
    to ``log``. Yields the base URL."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app"),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
    ]
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            env={**os.environ, "BADGES_BASE_URL": url, **env},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        _wait_healthy(url, lambda: process.poll() is None)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
