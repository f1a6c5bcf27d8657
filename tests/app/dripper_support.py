"""A local HTTP server that drips its answer a byte at a time (each read far inside httpx's
timeouts), for the tests of the whole-exchange deadline (:mod:`app.core.deadline`): webhook
attempts and the Service Consumer's requests to another host.

``serve(handler)`` runs any ``BaseHTTPRequestHandler`` on 127.0.0.1 in a thread.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DRIP_S = 0.1
"""One byte every 0.1 s: each read is far inside httpx's 10 s read timeout."""
DRIPPED_BYTES = 40
"""How much a dripping server sends at most (4 s: without a deadline, a request would take
that long and then succeed or fail on its status)."""


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """``handler`` served on 127.0.0.1 in a thread; yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@dataclasses.dataclass
class Dripper:
    """A server that drips its answer to a POST (``mode``: ``headers``: a 200 whose status
    line and headers drip; ``body``: a 500 at once, then its body drips; ``fast``: 200 ok)."""

    url: str = ""
    mode: str = "fast"
    requests: int = 0
    stopped: threading.Event = dataclasses.field(default_factory=threading.Event)


@contextmanager
def dripping_server(path: str = "/") -> Iterator[Dripper]:
    """A :class:`Dripper` on a free port; its ``url`` ends with ``path``."""
    dripper = Dripper()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            dripper.requests += 1
            self.close_connection = True
            if dripper.mode == "fast":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            elif dripper.mode == "headers":
                self._drip(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Padding: " + b"x" * 40)
            else:
                self.wfile.write(b"HTTP/1.1 500 Oops\r\nContent-Length: 1000\r\n\r\n")
                self._drip(b"slow" * 250)

        def _drip(self, data: bytes) -> None:
            try:
                for byte in data[:DRIPPED_BYTES]:
                    if dripper.stopped.wait(DRIP_S):
                        return
                    self.wfile.write(bytes([byte]))
            except OSError:  # the client hung up (at its deadline)
                return

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

    with serve(Handler) as port:
        dripper.url = f"http://127.0.0.1:{port}{path}"
        try:
            yield dripper
        finally:
            dripper.stopped.set()


def unique_path(prefix: str) -> str:
    """``prefix`` + a random segment (a late request of an earlier test is not this one's)."""
    return f"{prefix}/{uuid.uuid4().hex}"
