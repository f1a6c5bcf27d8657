"""How the console answers "sign in first" and "not allowed" (registered on the app).

* :class:`SignInRequired` on a GET: 303 to the sign-in page with ``?next=`` (the page asked
  for); on a post: 303 for a browser (the session ended while a form was open), otherwise the
  usual 401 problem JSON.
* :class:`ConsoleRefused` and :class:`CsrfRefused`: a 403 page in the visitor's language for a
  browser, problem JSON otherwise.

Everything else (404 for another issuer's objects, 422) keeps the service's own handlers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import Response

from app.console import pages
from app.console import session as staff_session
from app.console.access import ConsoleRefused, CsrfRefused, SignInRequired
from app.core.errors import AppError
from app.web.error_pages import wants_html


def _sign_in_target(request: Request) -> str:
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    query = {"next": path} if pages.safe_next(path) else {}
    return staff_session.SIGN_IN_PATH + (f"?{urlencode(query)}" if query else "")


def install(app: FastAPI) -> None:
    """Register the handlers (after the HTML error pages, whose handler they fall back to)."""
    fallback: Any = app.exception_handlers.get(AppError)

    async def sign_in_required(request: Request, exc: Exception) -> Response:
        browser = wants_html(request.url.path, request.headers.get("accept", ""))
        if request.method in ("GET", "HEAD") or browser:
            return pages.redirect(_sign_in_target(request))
        return await fallback(request, exc)  # type: ignore[no-any-return]

    async def refused(request: Request, exc: Exception) -> Response:
        if wants_html(request.url.path, request.headers.get("accept", "")):
            reason = "csrf" if isinstance(exc, CsrfRefused) else "role"
            return pages.page(request, "console_refused.html", status_code=403, reason=reason)
        return await fallback(request, exc)  # type: ignore[no-any-return]

    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(ConsoleRefused, refused)
    app.add_exception_handler(CsrfRefused, refused)
