"""Page routes: QR codes, baked badges, ``/verify`` and the static assets.

``GET /credentials/{id}`` itself belongs to ``app.credentials.public`` (content negotiation);
its HTML branch calls :func:`app.web.credential_page.render_credential_page`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.ratelimit import RateLimited
from app.credentials import service as credentials
from app.hot.public import PUBLIC_ID_TTL_S, public_urls
from app.verification import admission
from app.web import i18n, static, verify_page
from app.web.credential_page import credential_url
from app.web.downloads import baked_badge
from app.web.qr import QrKind, qr_image, render_qr
from app.web.responses import not_modified

router = APIRouter(tags=["pages"])

IMMUTABLE = "public, max-age=31536000, immutable"


def _cached_bytes(
    request: Request, body: bytes, media_type: str, etag: str, cache_control: str, **extra: str
) -> Response:
    headers = {"ETag": etag, "Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"}
    headers |= extra
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _load_public(request: Request, credential_id: uuid.UUID) -> Any:
    factory = request.app.state.sessionmaker
    with factory() as session:
        return credentials.get_public_credential(session, credential_id)


async def _public_url(request: Request, credential_id: uuid.UUID) -> str:
    """The permanent URL of a public credential; the database is asked at most once a minute.

    QR codes are the most fetched image of a page and never change, so their hot path touches
    neither the database nor the thread pool. A credential hidden since is still answered for
    at most a minute, which reveals nothing: the code only holds its URL.
    """
    url = public_urls.get(credential_id)
    if url is None:
        credential = await run_in_threadpool(_load_public, request, credential_id)
        url = credential_url(request, credential.id)
        public_urls.put(credential_id, url, PUBLIC_ID_TTL_S)
    return url


def qr_from_memory(request: Request, credential_id: uuid.UUID, kind: QrKind) -> Response | None:
    """The QR response when this worker has both the URL and the image at hand, else None
    (for :class:`app.credentials.shortcut.PublicReadShortcut`, which answers before routing)."""
    url = public_urls.get(credential_id)
    image = None if url is None else qr_image(url, kind)
    if image is None:
        return None
    return _cached_bytes(request, image.body, image.media_type, image.etag, IMMUTABLE)


async def _qr(request: Request, credential_id: uuid.UUID, kind: QrKind) -> Response:
    url = await _public_url(request, credential_id)
    image = qr_image(url, kind)
    if image is None:
        image = await run_in_threadpool(render_qr, url, kind)  # ~10 ms of CPU: off the loop
    return _cached_bytes(request, image.body, image.media_type, image.etag, IMMUTABLE)


@router.get("/credentials/{credential_id}/qr.svg", response_class=Response)
async def credential_qr_svg(credential_id: uuid.UUID, request: Request) -> Response:
    """QR code (SVG) of the credential's permanent URL; cache it forever."""
    return await _qr(request, credential_id, "svg")


@router.get("/credentials/{credential_id}/qr.png", response_class=Response)
async def credential_qr_png(credential_id: uuid.UUID, request: Request) -> Response:
    """QR code (PNG) of the credential's permanent URL; cache it forever."""
    return await _qr(request, credential_id, "png")


def _badge(request: Request, session: SessionDep, credential_id: uuid.UUID, kind: str) -> Response:
    credential = credentials.get_public_credential(session, credential_id)
    baked = baked_badge(credential, kind)
    # Not immutable: a credential withdrawn from public view must stop being served.
    return _cached_bytes(
        request,
        baked.body,
        baked.media_type,
        baked.etag,
        "public, max-age=300",
        **{"Content-Disposition": f'inline; filename="{baked.filename}"'},
    )


@router.get("/credentials/{credential_id}/badge.png", response_class=Response)
def credential_badge_png(
    credential_id: uuid.UUID, request: Request, session: SessionDep
) -> Response:
    """The badge image with the signed credential baked in (PNG ``iTXt``)."""
    return _badge(request, session, credential_id, "png")


@router.get("/credentials/{credential_id}/badge.svg", response_class=Response)
def credential_badge_svg(
    credential_id: uuid.UUID, request: Request, session: SessionDep
) -> Response:
    """The badge image with the signed credential baked in (SVG ``openbadges:credential``)."""
    return _badge(request, session, credential_id, "svg")


@router.get("/verify", response_class=Response)
def verify_form(request: Request) -> Response:
    """The verification page: upload, paste or link a credential."""
    return verify_page.page(request, i18n.translator_for(request))


@router.post("/verify", response_class=Response)
async def verify_submit(
    request: Request,
    session: SessionDep,
    file: Annotated[UploadFile | None, File()] = None,
    text: Annotated[str, Form(max_length=10_000_000)] = "",
    url: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    """Verify what was sent and show the per-check report.

    Under the same guards as ``POST /api/v1/verify`` (:mod:`app.verification.admission`): the
    address's rate limit, the anonymous input limits, and the verify lane for the fetch and
    the verification, so a flood of verifications cannot take the threads pages use.
    """
    t = i18n.translator_for(request)
    form = verify_page.VerifyForm(file=file, text=text, url=url)
    try:
        caller = await admission.admit(request)
        is_url, data = await verify_page.read_input(request, form, t)
        outcome = await admission.in_lane(
            request,
            verify_page.verify_submitted,
            session,
            None if is_url else data,
            str(data) if is_url else None,
            caller.limits,
            t,
        )
    except verify_page.InputError as exc:
        return verify_page.page(
            request, t, error=exc.message, status_code=exc.status_code, form=form
        )
    except (RateLimited, admission.VerifierBusy) as exc:
        if isinstance(exc, RateLimited):
            message = t("verify.error.rate", seconds=exc.retry_after_s)
        else:
            message = t("verify.error.busy")
        response = verify_page.page(request, t, error=message, status_code=exc.status, form=form)
        response.headers.update(exc.headers)
        return response
    return verify_page.page(request, t, outcome=outcome, form=form)


@router.get("/static/{name}", include_in_schema=False)
def static_asset(name: str, request: Request) -> Response:
    """The stylesheet and script (content-hashed URLs, so cached for a year)."""
    asset = static.ASSETS.get(name)
    if asset is None:
        raise NotFound("No such asset.")
    etag = f'"{asset.version}"'
    return _cached_bytes(request, asset.body, asset.media_type, etag, IMMUTABLE)
