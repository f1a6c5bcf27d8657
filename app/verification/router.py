"""``POST /api/v1/verify``: verify a credential JSON, a VC-JWT, or a URL to fetch one from."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from app.core.db import SessionDep
from app.core.errors import Unprocessable
from app.verification import service

router = APIRouter(prefix="/api/v1", tags=["verification"])

_EXAMPLES: dict[str, Any] = {
    "credential": {
        "summary": "A credential JSON",
        "value": {"@context": ["…"], "type": ["VerifiableCredential", "OpenBadgeCredential"]},
    },
    "jwt": {"summary": "A VC-JWT string", "value": "eyJhbGciOiJFUzI1NiIs…"},
    "url": {"summary": "A URL to fetch", "value": {"url": "https://example.edu/credentials/…"}},
}


@router.post(
    "/verify",
    openapi_extra={"requestBody": {"content": {"application/json": {"examples": _EXAMPLES}}}},
)
def verify(
    session: SessionDep,
    payload: Annotated[Any, Body()] = None,
    recipient: Annotated[str | None, Query(max_length=320)] = None,
) -> dict[str, Any]:
    """Run every check (format, proof, issuer key, status, validity…) and report each."""
    if isinstance(payload, bytes):  # text/plain: a bare VC-JWT
        payload = payload.decode("utf-8", errors="replace").strip()
    if isinstance(payload, dict) and set(payload) == {"url"}:
        if not isinstance(payload["url"], str):
            raise Unprocessable("url must be a string.", field="$.url")
        payload = service.fetch_for_verification(session, payload["url"])
    if not isinstance(payload, dict | str):
        raise Unprocessable(
            'Send a credential JSON object, a VC-JWT string or {"url": …}.', field="$"
        )
    report = service.verify_document(session, payload, recipient=recipient)
    return service.report_to_json(report)
