"""Answer a public credential read: the one way from a request to this worker's memory.

``GET /credentials/{id}`` (content-negotiated: the page, the signed JSON or the VC-JWT),
``.json``, ``.jwt`` and the QR codes are the most requested URLs of the service, and after the
first request their answer is in this worker's memory (:mod:`app.hot.public`). :func:`answer`
is the only code that reads those stores for a request, for two callers:

* the pre-routing shortcut (:mod:`app.credentials.shortcut`), with ``memory_only=True``: a
  hit is answered from memory, and ``None`` means "needs the database, ask the routes";
* the routes (:mod:`app.credentials.public`, ``app.web.router`` for the QR codes), which on a
  miss read the database in the thread pool (the page's state inline on SQLite, see
  :func:`_page`) and fill the stores for the next request.

So the shortcut cannot answer differently from the routes: both run the same lines, the
shortcut just stops where the routes would need the database.

The HTML page and the QR codes belong to ``app.web``, which imports this package: they are
reached through :func:`web_module` (an absent ``app.web`` leaves the JSON and JWT forms).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import uuid
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import anyio
import anyio.to_thread
from fastapi import Request, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from app.core.db import get_session, read_session, reads_are_local, request_session
from app.core.errors import NotFound
from app.credentials import published, service
from app.credentials.published import PublishedCredential
from app.hot import usage
from app.hot.public import PUBLIC_ID_TTL_S, public_urls

if TYPE_CHECKING:
    from app.web.qr import QrKind

Form = Literal["page", "json", "jwt", "jwt-file", "qr.svg", "qr.png"]
"""What is asked for: the page, the signed JSON, the VC-JWT (``jwt-file``: the ``.jwt`` URL,
whose media type follows Accept), a QR code."""

VC_LD_JSON = "application/vc+ld+json"
VC_JWT = "application/vc+jwt"
_JSON_TYPES = ("application/json", VC_LD_JSON, "application/ld+json", "application/vc")
_JSON_HEADERS = {"Cache-Control": "public, max-age=60", "Vary": "Accept"}


def web_module(name: str) -> Any | None:
    """A module of ``app.web`` (the HTML part), or None when it is not installed.

    Imported by name: ``app.web`` imports this package, so a static import would be a cycle
    (once imported, a lookup costs ~0.4 us).
    """
    try:
        return importlib.import_module(f"app.web.{name}")
    except ModuleNotFoundError as exc:
        if exc.name not in ("app.web", f"app.web.{name}"):
            raise
        return None


def negotiate(request: Request) -> Form:
    """What ``/credentials/{id}`` answers for the Accept header (browsers get the page)."""
    accept = request.headers.get("accept", "").lower()
    if VC_JWT in accept:
        return "jwt"
    if any(t in accept for t in _JSON_TYPES) and "text/html" not in accept:
        return "json"
    return "page" if "text/html" in accept or not accept or "*/*" in accept else "json"


async def answer(
    request: Request, credential_id: uuid.UUID, form: Form, *, memory_only: bool
) -> Response | None:
    """The response to a public read of ``credential_id`` in ``form``.

    With ``memory_only`` it is None whenever answering needs the database (except a page on
    SQLite, see :func:`_page`); otherwise a miss is read (in the thread pool) and cached. A
    missing or hidden credential, or a form it does not have, raises
    :class:`~app.core.errors.NotFound` in both modes.
    """
    if form == "qr.svg" or form == "qr.png":
        return await _qr(request, credential_id, "svg" if form == "qr.svg" else "png", memory_only)
    if form == "page":
        pages = web_module("credential_page")
        if pages is not None:
            return await _page(request, credential_id, pages, memory_only)
    signed = published.cached(credential_id)
    if signed is None:
        if memory_only:
            return None
        signed = await run_in_threadpool(_load_published, request, credential_id)
    if form == "jwt" or form == "jwt-file":
        if signed.jwt is None:
            raise NotFound("This credential has no VC-JWT form.")
        media_type = _jwt_file_type(request) if form == "jwt-file" else VC_JWT
        return Response(signed.jwt, media_type=media_type, headers={"Vary": "Accept"})
    if signed.json is None:
        raise NotFound("This credential was issued as a VC-JWT only; fetch the .jwt URL.")
    return Response(signed.json, media_type=VC_LD_JSON, headers=_JSON_HEADERS)


async def respond(request: Request, credential_id: uuid.UUID, form: Form) -> Response:
    """:func:`answer` for the routes, which may read the database (so always a response)."""
    response = await answer(request, credential_id, form, memory_only=False)
    if response is None:  # only a QR code without app.web, whose routes it holds
        raise NotFound("No such credential.")
    return response


def _jwt_file_type(request: Request) -> str:
    """The media type of ``.jwt``: ``application/vc+jwt`` (VC-JOSE-COSE §6.1.1, the type OB 3.0
    VC-JWTs are registered under), or ``text/plain`` for a client that asks for text to show
    (a browser tab opened with ``Accept: text/plain``) and not for the VC-JWT type."""
    accept = request.headers.get("accept", "").lower()
    return "text/plain" if "text/plain" in accept and VC_JWT not in accept else VC_JWT


def _load_published(request: Request, credential_id: uuid.UUID) -> PublishedCredential:
    with request_session(request) as session:
        return published.load(session, credential_id)


async def _page(
    request: Request, credential_id: uuid.UUID, pages: Any, memory_only: bool
) -> Response | None:
    """The page, for the credential's status as read within the last second; each page
    answered is counted as a view (:func:`app.hot.usage.count`, in memory).

    The state read a moment ago (:data:`app.hot.public.STATE_TTL_S`) finds the rendered page
    without the database. Past that the state is read again: on SQLite an in-process call of
    tens of microseconds that cannot hang on a network, cheaper than a thread-pool hop (which
    halves page throughput under load), so a page cached for it is answered on the event
    loop, and a page not cached is rendered without reading the state again: on the event
    loop too, one per round of the loop (:class:`_PageLanes`), since on SQLite its reads are
    in-process as well (a thread hop and the GIL hand-offs around it cost ~1/8 of its CPU),
    unless it would wait on another host or on another render of the same credential
    (:class:`app.web.credential_page.WouldWait`): then in a thread, at most
    :data:`RENDERS_AT_ONCE` at once. On SQLite ``memory_only`` does not stop there: the
    pre-routing shortcut answers a page not cached too, as the routes would (routing it cost
    a fifth of the event loop's share of such a page). Everything else (a network database)
    runs in the thread pool, from the routes only.
    """
    state = published.cached_state(credential_id)
    if state is not None:
        hit: Response | None = pages.cached_page(request, state)
        if hit is not None:
            usage.count(usage.VIEW, state.issuer_id, state.achievement_id)
            return hit
    local = reads_are_local(request)
    if memory_only and not local:
        return None
    if local:
        row = _local_row(request, credential_id)
        hit = pages.cached_page(request, row)
        if hit is not None:
            usage.count(usage.VIEW, row.issuer_id, row.achievement_id)
            return hit
        lanes = _lanes(request)
        async with lanes.inline:
            try:
                return _render_page(request, row, pages, may_wait=False)
            except pages.WouldWait:
                pass
            finally:
                await asyncio.sleep(0)  # the next render waits for the loop's next round
        render = functools.partial(_render_page, request, row, pages)
        return await anyio.to_thread.run_sync(render, limiter=lanes.threads)
    return await run_in_threadpool(_page_from_database, request, credential_id, pages)


RENDERS_AT_ONCE = 4
"""Pages not yet cached that one worker renders in threads at the same time on SQLite (the
rest queue): those whose render would wait on another host or on another render of the same
credential (:class:`app.web.credential_page.WouldWait`); the others render on the event loop.

Rendering and verifying is CPU under the GIL (the reads are in-process), so more threads add
no throughput, only GIL hand-offs that also slow the event loop: 1,000 cold pages over HTTP
(2 workers, 100 clients) came 1.17x as fast with 4 as with the thread pool's 40, at half the
p99, and 4 beat 8 by 1.35x. A render waiting on another host (a third party's endorsement key)
holds its slot until the fetch's deadline; cached pages never wait here."""


@dataclass(slots=True)
class _PageLanes:
    """Where one event loop renders pages not yet cached: on the loop itself, one page per
    round of the loop (``inline``, held across one yield, so the loop polls its sockets
    between two renders and a burst of cold pages does not keep new connections waiting),
    or in at most :data:`RENDERS_AT_ONCE` threads."""

    inline: asyncio.Lock
    threads: anyio.CapacityLimiter


def _lanes(request: Request) -> _PageLanes:
    """This application's :class:`_PageLanes` for the running event loop (made on first use).
    One per loop: an asyncio lock and an anyio limiter belong to the loop they were made on,
    and a worker has one loop, but tests drive one app from several clients, each with its
    own."""
    lanes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _PageLanes]
    lanes = getattr(request.app.state, "page_renders", None) or weakref.WeakKeyDictionary()
    request.app.state.page_renders = lanes
    loop = asyncio.get_running_loop()
    found = lanes.get(loop)
    if found is None:
        found = lanes[loop] = _PageLanes(asyncio.Lock(), anyio.CapacityLimiter(RENDERS_AT_ONCE))
    return found


def _local_row(request: Request, credential_id: uuid.UUID) -> Any:
    """The columns of the credential a page shows, read now on SQLite by one SELECT on the
    thread's own driver connection (its own read transaction; without SQLAlchemy's layers
    around it, ~1/5 of the cost), its state remembered for the next second
    (:func:`app.credentials.published.page_credential_alone`); through a test's joined
    session, the ORM row. The page found cached for it needs nothing more; a page not cached
    is rendered from it without reading again."""
    if get_session in request.app.dependency_overrides:
        with request_session(request) as session:
            published.public_state(session, credential_id)
            return service.get_public_credential(session, credential_id)
    engine: Engine = request.app.state.engine
    return published.page_credential_alone(engine, credential_id)


def _page_from_database(request: Request, credential_id: uuid.UUID, pages: Any) -> Response:
    """The page for the state read now: cached, else rendered and verified."""
    with request_session(request) as session:
        state = published.public_state(session, credential_id)
        hit: Response | None = pages.cached_page(request, state)
        if hit is None:
            row = service.get_public_credential(session, credential_id)
            hit = pages.render_credential_page(request, session, row)
    usage.count(usage.VIEW, state.issuer_id, state.achievement_id)
    return hit


def _render_page(request: Request, row: Any, pages: Any, may_wait: bool = True) -> Response:
    """Render and verify the page of the credential ``row`` (read a moment ago on SQLite; its
    page was not cached).

    The rest of the page (verification, brand, program) comes mostly from this worker's
    memory, in a session that asks the database only when a memo misses and then reads
    without the write lock (:func:`~app.core.db.read_session`): an ORM read in a default
    transaction would take SQLite's ``BEGIN IMMEDIATE`` and cold pages would render one at a
    time (8a9a5ae). ``may_wait=False`` (on the event loop): nothing waits, and a page that
    would raises :class:`app.web.credential_page.WouldWait`.
    """
    with read_session(request) as session:
        page: Response = pages.render_credential_page(request, session, row, may_wait=may_wait)
    usage.count(usage.VIEW, row.issuer_id, row.achievement_id)
    return page


async def _qr(
    request: Request, credential_id: uuid.UUID, kind: QrKind, memory_only: bool
) -> Response | None:
    """The QR code of the credential's permanent URL; the database is asked at most once a
    minute per credential.

    QR codes are the most fetched image of a page and never change, so their hot path touches
    neither the database nor the thread pool. A credential hidden since is still answered for
    at most a minute, which reveals nothing: the code only holds its URL.
    """
    qr = web_module("qr")
    if qr is None:
        return None
    url = public_urls.get(credential_id)
    if url is None:
        if memory_only:
            return None
        pages = web_module("credential_page")
        url = await run_in_threadpool(_public_url, request, credential_id, pages)
        public_urls.put(credential_id, url, PUBLIC_ID_TTL_S)
    image = qr.qr_image(url, kind)
    if image is None:
        if memory_only:
            return None
        image = await run_in_threadpool(qr.render_qr, url, kind)  # ~10 ms of CPU: off the loop
    response: Response = qr.qr_response(request, image)
    return response


def _public_url(request: Request, credential_id: uuid.UUID, pages: Any) -> str:
    """The permanent URL of a visible credential (404 when missing or hidden)."""
    with request_session(request) as session:
        credential = service.get_public_credential(session, credential_id)
    url: str = pages.credential_url(request, credential.id)
    return url
