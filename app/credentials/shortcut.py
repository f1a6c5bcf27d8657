"""Answer the most requested public reads before routing (the innermost ASGI middleware).

A credential link shared on social media, or its JSON fetched by wallets and verifiers, is
the same few URLs asked for again and again, and after the first request the answer is in
this worker's memory. Routing through the application's nested routers to reach that cache
costs twice what building the answer does (measured in-process: 107 us for ``/ping`` through
FastAPI, 160 us for a cached page). This layer recognises ``GET /credentials/{id}``, ``.json``,
``.jwt`` and its QR codes and asks :func:`app.credentials.public_reads.answer` (the code the
routes run) for the answer from memory only; a hit is sent from here, everything else goes to
the application. A hit needs no database, so it is still answered while the database is down.
One exception: on SQLite, whose reads are in-process calls, a page not yet cached is read and
rendered from here as the routes would (see ``public_reads._page``).

It is the innermost of the application's own middleware (``create_app`` adds it first): the
body limit, ``HEAD``/``OPTIONS`` handling, connection rebalancing and any middleware added
later run for the requests it answers as for routed ones. Only Starlette's
``ExceptionMiddleware`` (the error handlers) sits further in, so an exception raised here would
be a bare 500 (and uvicorn would close the connection): any exception while answering (a
database error, a credential without the asked form, a bug) is treated as a miss, and the
routes answer the request again with their error handlers (503 when the database is down,
404 for a missing form). An exception raised while sending a response is not caught: part of
it may be on the wire already.
"""

from __future__ import annotations

import re
import uuid

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.credentials.public_reads import Form, answer, negotiate

_PUBLIC_READ = re.compile(r"/credentials/([0-9A-Fa-f-]{32,36})(\.json|\.jwt|/qr\.svg|/qr\.png)?")
_FORMS: dict[str, Form] = {
    ".json": "json",
    ".jwt": "jwt-file",
    "/qr.svg": "qr.svg",
    "/qr.png": "qr.png",
}


class PublicReadShortcut:
    """Innermost middleware: serve cached public credential reads, else call the app."""

    def __init__(self, app: ASGIApp, owner: ASGIApp) -> None:
        self.app = app
        self.owner = owner
        """The application (``request.app`` for the page code, as routing would set it)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = _PUBLIC_READ.fullmatch(scope["path"])
            if match is not None:
                request = Request({**scope, "app": self.owner}, receive)
                try:
                    form = _FORMS[match[2]] if match[2] else negotiate(request)
                    response = await answer(request, uuid.UUID(match[1]), form, memory_only=True)
                except Exception:  # a bad id, a missing form, a bug: the routes' handlers answer
                    response = None
                if response is not None:
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
