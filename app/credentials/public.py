"""Public credential URLs: content negotiation, ``.json`` and ``.jwt`` (stored bytes only).

These are the most requested URLs of the service, so the routes are ``async``: the signed bytes
come from an in-process cache (:mod:`app.credentials.published`) without a thread-pool hop or a
database round trip, and only a cache miss or the HTML page (whose status must be fresh) runs
blocking work, once, in the thread pool.
"""

from __future__ import annotations

import importlib
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from app.core.db import reads_are_local, request_session
from app.core.errors import AppError, NotFound, Unprocessable
from app.credentials import published, service
from app.credentials.published import PublishedCredential

router = APIRouter(tags=["public"])

VC_LD_JSON = "application/vc+ld+json"
VC_JWT = "application/vc+jwt"
_JSON_TYPES = ("application/json", VC_LD_JSON, "application/ld+json", "application/vc")
_JSON_HEADERS = {"Cache-Control": "public, max-age=60", "Vary": "Accept"}


def _json_response(credential: PublishedCredential) -> Response:
    """The stored signed JSON, byte for byte."""
    if credential.json is None:
        raise NotFound("This credential was issued as a VC-JWT only; fetch the .jwt URL.")
    return Response(credential.json, media_type=VC_LD_JSON, headers=_JSON_HEADERS)


def _jwt_response(credential: PublishedCredential, media_type: str = VC_JWT) -> Response:
    """The stored compact JWS."""
    if credential.jwt is None:
        raise NotFound("This credential has no VC-JWT form.")
    return Response(credential.jwt, media_type=media_type, headers={"Vary": "Accept"})


def _wants(request: Request) -> str:
    """``json``, ``jwt`` or ``html`` from the Accept header (browsers get HTML)."""
    accept = request.headers.get("accept", "").lower()
    if VC_JWT in accept:
        return "jwt"
    if any(t in accept for t in _JSON_TYPES) and "text/html" not in accept:
        return "json"
    return "html" if "text/html" in accept or not accept or "*/*" in accept else "json"


def _jwt_file_type(request: Request) -> str:
    """The media type of ``.jwt``: ``application/vc+jwt`` (VC-JOSE-COSE §6.1.1, the type OB 3.0
    VC-JWTs are registered under), or ``text/plain`` for a client that asks for text to show
    (a browser tab opened with ``Accept: text/plain``) and not for the VC-JWT type."""
    accept = request.headers.get("accept", "").lower()
    return "text/plain" if "text/plain" in accept and VC_JWT not in accept else VC_JWT


def _load_published(request: Request, credential_id: uuid.UUID) -> PublishedCredential:
    with request_session(request) as session:
        return published.load(session, credential_id)


async def _published(request: Request, credential_id: uuid.UUID) -> PublishedCredential:
    """The signed forms: from the cache, else one query in the thread pool."""
    hit = published.cached(credential_id)
    if hit is not None:
        return hit
    return await run_in_threadpool(_load_published, request, credential_id)


def _web(module: str) -> Any | None:
    """A module of ``app.web`` (the HTML part), or None when it is not installed."""
    try:
        return importlib.import_module(f"app.web.{module}")
    except ModuleNotFoundError as exc:
        if exc.name not in ("app.web", f"app.web.{module}"):
            raise
        return None


def _cached_html(request: Request, credential_id: uuid.UUID) -> Response | None:
    """The page from the page cache, checked against the credential's fresh status; or None."""
    page = _web("credential_page")
    if page is None:
        return None
    with request_session(request) as session:
        state = published.public_state(session, credential_id)
    cached: Response | None = page.cached_page(request, state)
    return cached


def _html_response(request: Request, credential_id: uuid.UUID) -> Response:
    """The human page from ``app.web``, rendered (and verified) when not cached."""
    page = _web("credential_page")
    with request_session(request) as session:
        if page is None:
            return _json_response(published.load(session, credential_id))
        state = published.public_state(session, credential_id)
        cached: Response | None = page.cached_page(request, state)
        if cached is not None:
            return cached
        row = service.get_public_credential(session, credential_id)
        response: Response = page.render_credential_page(request, session, row)
        return response


async def _html(request: Request, credential_id: uuid.UUID) -> Response:
    """The page, for the credential's status as read within the last second.

    A page for a state this worker read a moment ago was answered before routing
    (:func:`from_memory`); here the state is read. On SQLite that read is an in-process call
    of tens of microseconds that cannot hang on a network, cheaper than a thread-pool hop
    (which halves page throughput under load), so a cached page is answered on the event
    loop. Everything else (a network database, rendering and verifying a page) runs in the
    thread pool.
    """
    if reads_are_local(request):
        cached = _cached_html(request, credential_id)
        if cached is not None:
            return cached
    return await run_in_threadpool(_html_response, request, credential_id)


def from_memory(request: Request, ident: str, suffix: str | None) -> Response | None:
    """The answer to ``GET /credentials/{ident}[.json|.jwt|/qr.svg|/qr.png]`` from this worker's
    memory, or None.

    The same responses the routes give on their cache hits (the signed bytes, the page
    rendered for the state read within the last second, the QR image), for
    :class:`app.credentials.shortcut.PublicReadShortcut`, which answers before routing. None
    means "ask the routes": a miss, a bad id, or anything that needs the database.
    """
    try:
        credential_id = uuid.UUID(ident)
    except ValueError:
        return None
    if suffix in ("/qr.svg", "/qr.png"):
        web_router = _web("router")
        if web_router is None:
            return None
        qr: Response | None = web_router.qr_from_memory(request, credential_id, suffix[4:])
        return qr
    wanted = {".json": "json", ".jwt": "jwt-file"}.get(suffix or "") or _wants(request)
    if wanted != "html":
        hit = published.cached(credential_id)
        if hit is None:
            return None
        if wanted == "jwt-file":
            return _jwt_response(hit, _jwt_file_type(request)) if hit.jwt is not None else None
        if wanted == "jwt":
            return _jwt_response(hit, VC_JWT) if hit.jwt is not None else None
        return _json_response(hit) if hit.json is not None else None
    state = published.cached_state(credential_id)
    page = _web("credential_page")
    if state is None or page is None:
        return None
    cached: Response | None = page.cached_page(request, state)
    return cached


def _html_not_found(request: Request, error: AppError) -> Response:
    """A browser asking for a missing or hidden credential gets a page, not problem JSON."""
    pages = _web("not_found")
    if pages is None:
        raise error
    response: Response = pages.not_found_page(request)
    return response


@router.get("/credentials/{credential_id}.json")
async def get_credential_json(credential_id: uuid.UUID, request: Request) -> Response:
    """The signed credential (``application/vc+ld+json``), exactly as issued."""
    return _json_response(await _published(request, credential_id))


@router.get("/credentials/{credential_id}.jwt")
async def get_credential_jwt(credential_id: uuid.UUID, request: Request) -> Response:
    """The VC-JWT form (``application/vc+jwt``; ``text/plain`` when Accept asks for it)."""
    return _jwt_response(await _published(request, credential_id), _jwt_file_type(request))


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
    wanted = _wants(request)
    browser = wanted == "html" and "text/html" in request.headers.get("accept", "").lower()
    try:
        ident = _parse_id(credential_id)
        if wanted == "jwt":
            return _jwt_response(await _published(request, ident), VC_JWT)
        if wanted == "json":
            return _json_response(await _published(request, ident))
        return await _html(request, ident)
    except (NotFound, Unprocessable) as error:
        if not browser:
            raise
        return _html_not_found(request, error)
