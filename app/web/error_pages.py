"""HTML error pages for people; problem JSON stays for every other client.

The core handlers render every error as ``application/problem+json``. A person who follows a
bad link, an expired learner link or sends ``/verify`` a form the framework refuses (a field too
long, too many parts, a body over the cap) would see raw JSON. So when a request asks for
``text/html`` and is not under ``/api/``, the same error is shown as a page in the visitor's
language, with the same status code. The body-size middleware answers before any handler runs,
so it asks :func:`page_for_browser` through ``app.state`` for its page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import AppError
from app.web import i18n
from app.web.responses import html_page
from app.web.templating import render

Handler = Callable[[Request, Exception], Awaitable[Response]]
KNOWN = frozenset({400, 401, 404, 405, 413, 422, 503})
"""Statuses with their own words; any other 4xx is shown as 400, any 5xx as 500."""


def wants_html(path: str, accept: str) -> bool:
    """True for a browser asking for a page (never for the JSON API)."""
    return not path.startswith("/api/") and "text/html" in accept.lower()


def _message_status(status: int) -> int:
    if status in KNOWN:
        return status
    return 500 if status >= 500 else 400


def error_page_bytes(t: i18n.Translator, status: int) -> bytes:
    """The page for ``status`` in ``t``'s language."""
    key = _message_status(status)
    return render("error.html", t=t, status=key).encode("utf-8")


def page_for_browser(request: Request, status: int) -> tuple[bytes, dict[str, str]] | None:
    """Body and headers of the page when ``request`` comes from a browser, else ``None``."""
    if not wants_html(request.url.path, request.headers.get("accept", "")):
        return None
    response = _html_error(request, status, {})
    return bytes(response.body), {
        k: v for k, v in response.headers.items() if k.lower() != "content-length"
    }


def _html_error(request: Request, status: int, headers: dict[str, str]) -> Response:
    t = i18n.translator_for(request)
    response = html_page(
        request,
        error_page_bytes(t, status),
        locale=t.locale,
        status_code=status,
        cache_control="no-store",
    )
    response.headers["X-Robots-Tag"] = "noindex"
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response


def _status_of(exc: Exception) -> tuple[int, dict[str, str]]:
    if isinstance(exc, AppError):
        return exc.status, dict(exc.headers)
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code, dict(exc.headers or {})
    return 422, {}  # RequestValidationError


def _for_browsers(api_handler: Handler) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if not wants_html(request.url.path, request.headers.get("accept", "")):
            return await api_handler(request, exc)
        status, headers = _status_of(exc)
        return _html_error(request, status, headers)

    return handler


def install(app: FastAPI) -> None:
    """Wrap the problem-JSON handlers so browsers get a page (call after they are installed)."""
    handlers: dict[Any, Any] = app.exception_handlers
    for kind in (AppError, RequestValidationError, StarletteHTTPException):
        if kind in handlers:
            handlers[kind] = _for_browsers(handlers[kind])
    app.state.html_error_page = page_for_browser
