"""``HEAD`` and ``OPTIONS`` on every path, answered the same way for every route (ASGI middleware).

FastAPI's routes answer only the methods they declare, so ``HEAD`` on a page, a credential or
a status list was a 405 (link checkers, ``curl -I`` and caches use it) and ``OPTIONS`` said
nothing of what a path supports. Here, outside routing and the public-read shortcut:

* ``HEAD`` runs the ``GET`` of the path and sends its status and headers (``Content-Length``
  included, RFC 9110 §9.3.2) without the body;
* ``OPTIONS`` answers ``204`` with ``Allow`` listing every method of the path's routes (plus
  ``HEAD`` wherever ``GET`` is, and ``OPTIONS``), RFC 9110 §9.3.7; an unknown path goes on to
  the application, which answers 404. No CORS headers: the API is not meant for browsers on
  other origins.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CANDIDATES = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """The methods some route fully matches for ``scope["path"]``, sorted, or ``[]``.

    Each candidate method is matched through ``BaseRoute.matches`` (the routing API every
    route kind implements, FastAPI's included routers too), so no route list is copied here
    and a route added later is covered without a change.
    """
    methods = {
        method
        for method in CANDIDATES
        if any(
            route.matches({**scope, "method": method})[0] is Match.FULL
            for route in app.router.routes
        )
    }
    if not methods:
        return []
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods | {"OPTIONS"})


class StandardMethods:
    """``HEAD`` as a body-less ``GET``, ``OPTIONS`` as ``Allow`` (see the module docstring)."""

    def __init__(self, app: ASGIApp, owner: FastAPI) -> None:
        self.app = app
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            methods = allowed_methods(self.owner, scope)
            if not methods:
                await self.app(scope, receive, send)
                return
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [(b"allow", ", ".join(methods).encode("ascii"))],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the rest of a streamed body is dropped too
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
