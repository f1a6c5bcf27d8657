"""ASGI middleware: request body size limit (413 before any handler runs).

API clients get problem JSON; a browser gets the HTML page ``app.web`` registers in
``app.state.html_error_page`` (``app.core`` does not import the pages).
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PayloadTooLarge, problem_response


class BodyTooLarge(Exception):
    """Raised inside ``receive`` when a streamed body passes the limit."""


class BodySizeLimitMiddleware:
    """Refuse bodies over ``max_bytes``: by Content-Length up front, or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.default_max_bytes = max_bytes
        self.larger = larger or {}
        """Paths whose bodies may be larger (a batch upload), and their own limits; a ``*``
        in a path stands for one segment (``/console/*/batches/upload``)."""
        self._patterns = [
            (re.compile("^" + "[^/]+".join(map(re.escape, path.split("*"))) + "$"), limit)
            for path, limit in self.larger.items()
            if "*" in path
        ]

    def _limit(self, path: str) -> int:
        if path in self.larger:
            return self.larger[path]
        return next((n for p, n in self._patterns if p.match(path)), self.default_max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._reject(scope, send, max_bytes)
            return
        received = 0
        started = False
        rejected = False

        async def limited_receive() -> Message:
            nonlocal received, rejected
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    # Answer now: the framework would turn an error raised here into a 400.
                    if not started and not rejected:
                        rejected = True
                        await self._reject(scope, send, max_bytes)
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            if not rejected:
                raise

    async def _reject(self, scope: Scope, send: Send, max_bytes: int) -> None:
        body, headers = _html_413(scope) or self._problem(scope, max_bytes)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [*headers, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _problem(self, scope: Scope, max_bytes: int) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        error = PayloadTooLarge(f"The request body is larger than {max_bytes} bytes.")
        response = problem_response(error, Request(scope))  # or its path's own shape
        content_type = response.headers["content-type"].encode("latin-1")
        return bytes(response.body), [(b"content-type", content_type)]


def _html_413(scope: Scope) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
    """The page a browser gets when the HTML pages offer one (``app.state.html_error_page``)."""
    app = scope.get("app")
    render = getattr(getattr(app, "state", None), "html_error_page", None)
    page = render(Request(scope), 413) if callable(render) else None
    if page is None:
        return None
    body, headers = page
    return body, [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
