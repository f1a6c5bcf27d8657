"""The error responses in the OpenAPI document: RFC 9457 problem details, per router group.

Every error of the service is ``application/problem+json`` (:mod:`app.core.errors`), but FastAPI
documents only a 422 with its own ``HTTPValidationError`` shape, as ``application/json``. The
``responses=`` dicts here are applied per router group where the routers are included
(:mod:`app.api`), and :func:`install_problem_docs` rewrites the generated document so that
every 4xx/5xx response of every operation, route-level ones included, is
``application/problem+json`` with the one :class:`Problem` schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from app.core.errors import PROBLEM_MEDIA_TYPE


class FieldProblem(BaseModel):
    """One field at fault."""

    field: str = Field(description="Where: a JSON path (`$.recipient.email`) or `path.x`, …")
    detail: str


class Problem(BaseModel):
    """An RFC 9457 problem details object, as every error of this service is answered."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str
    instance: str | None = Field(default=None, description="The request path.")
    field: str | None = Field(default=None, description="The first field at fault, if any.")
    errors: list[FieldProblem] | None = Field(
        default=None, description="Every field at fault (validation errors)."
    )


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}
DESCRIPTIONS = {
    400: "Malformed request (a body or header that cannot be read at all).",
    401: "Missing, unknown or revoked bearer token.",
    404: "No such resource, or not visible to this caller.",
    409: "Conflicts with the resource's current state (the detail says why).",
    413: "The request body is over the size limit.",
    422: "A field's value cannot be used; `field` and `errors` name each one.",
    429: "Too many requests from this client; see Retry-After.",
    503: "Temporarily unavailable (database down or busy); see Retry-After.",
}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """A ``responses=`` dict documenting ``codes`` as problem details."""
    responses: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        response: dict[str, Any] = {"model": Problem, "description": DESCRIPTIONS[code]}
        if code in (429, 503):
            response["headers"] = _RETRY_AFTER
        responses[code] = response
    return responses


PUBLIC_ERRORS = problem_responses(404, 422, 503)
"""Public documents (credentials, status lists, profiles, DID documents): no auth, no body."""
PAGE_ERRORS = problem_responses(404, 413, 422, 503)
"""HTML pages (problem JSON for non-browser clients)."""
OPERATIONS_ERRORS = problem_responses(503)
"""Health probes."""
API_ERRORS = problem_responses(400, 401, 404, 409, 413, 422, 503)
"""The authenticated JSON API."""
VERIFY_ERRORS = problem_responses(400, 413, 422, 429, 503)
"""Anonymous verification (rate limited)."""


def _problem_content(schema_ref: dict[str, str], content: dict[str, Any]) -> dict[str, Any]:
    """``content`` with its JSON entry moved to problem+json and a bare schema replaced."""
    media = content.pop("application/json", None) or content.get(PROBLEM_MEDIA_TYPE) or {}
    schema = media.get("schema") or {}
    if not schema.get("$ref") or schema["$ref"].endswith("/HTTPValidationError"):
        media = {**media, "schema": schema_ref}
    return {
        PROBLEM_MEDIA_TYPE: media,
        **{k: v for k, v in content.items() if k != PROBLEM_MEDIA_TYPE},
    }


def document_problems(openapi: dict[str, Any]) -> dict[str, Any]:
    """Rewrite every 4xx/5xx response of ``openapi`` to problem+json with :class:`Problem`."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    ref = {"$ref": "#/components/schemas/Problem"}
    for operations in openapi.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                if str(code)[0] in "45":
                    response["content"] = _problem_content(ref, response.get("content") or {})
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and unused not in str(openapi["paths"]):
            del schemas[unused]
    return openapi


def install_problem_docs(app: FastAPI) -> None:
    """Make ``app.openapi()`` document problem details (built once, as FastAPI does)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
