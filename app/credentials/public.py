"""Public credential URLs: content negotiation, ``.json`` and ``.jwt`` (stored bytes only).

These are the most requested URLs of the service, so the routes are ``async``: what they answer
comes from :func:`app.credentials.public_reads.respond`, which serves this worker's memory on
the event loop and runs only a miss or the page's rendering, once, in the thread pool. A hit
is usually answered before routing already (:mod:`app.credentials.shortcut`, the same code).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from app.core.errors import AppError, NotFound, Unprocessable
from app.credentials.public_reads import negotiate, respond, web_module

router = APIRouter(tags=["public"])


def _html_not_found(request: Request, error: AppError) -> Response:
    """A browser asking for a missing or hidden credential gets a page, not problem JSON."""
    pages = web_module("not_found")
    if pages is None:
        raise error
    response: Response = pages.not_found_page(request)
    return response


@router.get("/credentials/{credential_id}.json")
async def get_credential_json(credential_id: uuid.UUID, request: Request) -> Response:
    """The signed credential (``application/vc+ld+json``), exactly as issued."""
    return await respond(request, credential_id, "json")


@router.get("/credentials/{credential_id}.jwt")
async def get_credential_jwt(credential_id: uuid.UUID, request: Request) -> Response:
    """The VC-JWT form (``application/vc+jwt``; ``text/plain`` when Accept asks for it)."""
    return await respond(request, credential_id, "jwt-file")


def _parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Unprocessable(
            "path.credential_id: Input should be a valid UUID", field="path.credential_id"
        ) from None


@router.get("/credentials/{credential_id}")
async def get_credential(credential_id: str, request: Request) -> Response:
    """JSON for machines (Accept: application/json, application/vc+ld+json), HTML for people."""
    form = negotiate(request)
    browser = form == "page" and "text/html" in request.headers.get("accept", "").lower()
    try:
        return await respond(request, _parse_id(credential_id), form)
    except (NotFound, Unprocessable) as error:
        if not browser:
            raise
        return _html_not_found(request, error)
