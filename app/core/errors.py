"""One error type for the service and its single RFC 9457 renderer.

Services raise :class:`AppError` subclasses; request validation errors, oversized bodies and
unexpected exceptions are mapped to the same ``application/problem+json`` shape with a ``field``
(JSON path of the first offending value) and an ``errors`` list naming every one.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

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


class ServiceUnavailable(AppError):
    """A dependency (the database) is not reachable."""

    status, title, code = 503, "Service unavailable", "unavailable"


def problem_response(error: AppError, request: Request | None = None) -> JSONResponse:
    """Render ``error`` as an ``application/problem+json`` response."""
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
    error.status, error.title, error.code = exc.status_code, str(exc.detail), "http_error"
    return problem_response(error, request)


async def _data_error_handler(request: Request, exc: Exception) -> JSONResponse:
    # Input the schemas cannot see (a query or path string) may still reach a text column:
    # PostgreSQL refuses NUL there, which is the client's error, not ours.
    if "NUL" in str(getattr(exc, "orig", "")):
        error = Unprocessable("Text must not contain NUL (U+0000) characters.", field="$")
        return problem_response(error, request)
    return await _unexpected_handler(request, exc)


async def _unexpected_handler(request: Request, _exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", extra={"path": request.url.path})
    error = AppError("An unexpected error occurred; it has been logged.")
    error.status, error.title, error.code = 500, "Internal server error", "internal"
    return problem_response(error, request)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers so every error leaves as problem JSON."""
    app.add_exception_handler(AppError, _app_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(DataError, _data_error_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
