"""One error type for the service and its single RFC 9457 renderer.

Services raise :class:`AppError` subclasses; request validation errors, oversized bodies and
unexpected exceptions are mapped to the same ``application/problem+json`` shape with a ``field``
(JSON path of the first offending value) and an ``errors`` list naming every one.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, SQLAlchemyError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.db_errors import describe, is_unavailable
from app.core.methods import allowed_methods
from openbadges.errors import find_in_chain

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://openbadges.local/problems/"

logger = logging.getLogger("app.errors")
_IDENTIFIER = re.compile(r"^[A-Za-z_@$][A-Za-z0-9_@$-]*$")


class AppError(Exception):
    """An error a client can act on; rendered as problem JSON with ``status``."""

    status: int = 400
    title: str = "Bad request"
    code: str = "bad_request"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.errors = list(errors) if errors else []
        self.headers = headers or {}

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 body (``type``, ``title``, ``status``, ``detail`` + our members)."""
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.field:
            body["field"] = self.field
        if self.errors:
            body["errors"] = self.errors
        elif self.field:
            body["errors"] = [{"field": self.field, "detail": self.detail}]
        return body


class BadRequest(AppError):
    """Malformed input that is not a validation error of a field."""


class Unauthorized(AppError):
    """Missing or unknown credentials."""

    status, title, code = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str = "A valid bearer token is required.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class NotFound(AppError):
    """The resource does not exist, or is not visible to the caller."""

    status, title, code = 404, "Not found", "not_found"


class Conflict(AppError):
    """The request conflicts with the current state."""

    status, title, code = 409, "Conflict", "conflict"


class Unprocessable(AppError):
    """Well-formed JSON whose content cannot be used."""

    status, title, code = 422, "Unprocessable content", "unprocessable"


class PayloadTooLarge(AppError):
    """The request body is larger than ``BADGES_MAX_BODY_BYTES``."""

    status, title, code = 413, "Content too large", "payload_too_large"


RETRY_AFTER_S = 5
"""Seconds a client is asked to wait after a 503: a database restart or fail-over."""


class ServiceUnavailable(AppError):
    """A dependency (the database) is not reachable; the client should retry later."""

    status, title, code = 503, "Service unavailable", "unavailable"

    def __init__(
        self,
        detail: str = "The database is not reachable just now; try again shortly.",
        *,
        retry_after: int = RETRY_AFTER_S,
    ) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


_SHAPES: dict[str, tuple[tuple[str, ...], Callable[[AppError], JSONResponse]]] = {}
"""Path prefix -> (prefixes under it left alone, renderer): errors whose specification names
another payload (registered by code at import; nothing in it comes from a request)."""


def shape_errors_under(
    prefix: str,
    render: Callable[[AppError], JSONResponse],
    *,
    except_under: tuple[str, ...] = (),
) -> None:
    """Answer every error under ``prefix`` with ``render`` instead of problem JSON: those the
    routes raise, and those raised before a route runs (404, 405, 413, validation, the
    guards' 429 and 503). The Open Badges 3.0 API names ``Imsx_StatusInfo`` for its errors."""
    _SHAPES[prefix] = (except_under, render)


def _shaped(error: AppError, path: str) -> JSONResponse | None:
    for prefix, (excluded, render) in _SHAPES.items():
        if path.startswith(prefix) and not (excluded and path.startswith(excluded)):
            return render(error)
    return None


def problem_response(error: AppError, request: Request | None = None) -> JSONResponse:
    """Render ``error`` as an ``application/problem+json`` response (or in the shape the
    specification of its path names, :func:`shape_errors_under`)."""
    if request is not None and _SHAPES:
        shaped = _shaped(error, request.url.path)
        if shaped is not None:
            return shaped
    instance = request.url.path if request is not None else None
    return JSONResponse(
        error.to_problem(instance),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=error.headers,
    )


def json_path(loc: Sequence[str | int]) -> str:
    """Turn a pydantic ``loc`` (``("body", "recipient", "email")``) into ``$.recipient.email``."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        source, parts = parts[0], parts[1:]
        if source != "body":
            return f"{source}.{'.'.join(str(p) for p in parts)}"
    path = "$"
    for part in parts:
        if part == "[key]":  # pydantic's marker for "the key itself": the path already names it
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.match(part):
            path += f".{part}"
        else:
            path += f"[{json.dumps(part, ensure_ascii=False)}]"
    return path


def _validation_problem(exc: RequestValidationError) -> AppError:
    """Map FastAPI's validation errors to one problem with every field named."""
    errors = [
        {"field": json_path(err.get("loc", ())), "detail": err.get("msg", "invalid")}
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"field": "$", "detail": "invalid request"}
    return Unprocessable(
        f"{first['field']}: {first['detail']}", field=first["field"], errors=errors
    )


async def _app_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)  # registered for AppError only
    return problem_response(exc, request)


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(_validation_problem(exc), request)


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error = AppError(str(exc.detail), headers=dict(exc.headers or {}))
    if exc.status_code == 405:
        # Routing names the methods of the first route of the path only; every method of
        # the path (as ``OPTIONS`` lists them) belongs in ``Allow`` (RFC 9110 §15.5.6).
        methods = allowed_methods(request.app, request.scope)
        if methods:
            error.headers["Allow"] = ", ".join(methods)
    error.status, error.title, error.code = exc.status_code, str(exc.detail), "http_error"
    return problem_response(error, request)


_NUL_WORD = re.compile(r"\bNUL\b")
"""The driver's word for U+0000 ("cannot contain NUL (0x00) bytes"), not "NOT NULL"."""


async def _database_error_handler(request: Request, exc: Exception) -> Response:
    """Every SQLAlchemy error, answered here so none reaches the server as an exception.

    An outage is a 503 with ``Retry-After`` (a browser gets the HTML page). A NUL in a text
    value is the client's 422: input the schemas cannot see (a query or path string) may still
    reach a text column, and PostgreSQL refuses NUL there. Anything else is our 500. Handled
    here rather than by the catch-all handler because Starlette's catch-all re-raises after
    answering, and uvicorn then closes the keep-alive connection. Logged without values
    (:func:`app.core.db_errors.describe`).
    """
    assert isinstance(exc, SQLAlchemyError)  # registered for SQLAlchemyError only
    if is_unavailable(exc):
        logger.warning("database unavailable", extra={"path": request.url.path, **describe(exc)})
        return _for_browser_or_problem(request, ServiceUnavailable())
    if isinstance(exc, DataError) and _NUL_WORD.search(str(getattr(exc, "orig", ""))):
        error: AppError = Unprocessable("Text must not contain NUL (U+0000) characters.", field="$")
        return _for_browser_or_problem(request, error)
    # No message, for any of them: even an ORM error (PendingRollbackError) quotes the
    # driver's message of an earlier failure, values included.
    logger.error("database error", extra={"path": request.url.path, **describe(exc)})
    error = AppError("An unexpected error occurred; it has been logged.")
    error.status, error.title, error.code = 500, "Internal server error", "internal"
    return problem_response(error, request)


def _for_browser_or_problem(request: Request, error: AppError) -> Response:
    """The HTML error page ``app.web`` offers browsers (``app.state.html_error_page``), else
    problem JSON; the error's headers (``Retry-After``) either way."""
    render = getattr(request.app.state, "html_error_page", None)
    page = render(request, error.status) if callable(render) else None
    if page is None:
        return problem_response(error, request)
    body, headers = page
    return Response(body, status_code=error.status, headers={**headers, **error.headers})


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    cause = find_in_chain(exc, StatementError)  # the database error behind it, if any
    if cause is None:
        logger.exception("unhandled error", extra={"path": request.url.path})
    else:  # the traceback would print the driver's message, which quotes values
        fields = {**describe(cause), "error": type(exc).__name__}
        logger.error(
            "unhandled error from a database error", extra={"path": request.url.path, **fields}
        )
    error = AppError("An unexpected error occurred; it has been logged.")
    error.status, error.title, error.code = 500, "Internal server error", "internal"
    return problem_response(error, request)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers so every error leaves as problem JSON."""
    app.add_exception_handler(AppError, _app_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(SQLAlchemyError, _database_error_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
