"""Page routes: QR codes, baked badges, ``/verify`` and the static assets.

``GET /credentials/{id}`` itself belongs to ``app.credentials.public`` (content negotiation).
That page and the QR codes are answered by :func:`app.credentials.public_reads.answer`, the one
reader of their per-worker caches for the routes and the pre-routing shortcut alike.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.ratelimit import RateLimited
from app.credentials import service as credentials
from app.credentials.public_reads import respond
from app.hot import usage
from app.verification import admission
from app.web import credential_page, i18n, program_clr, static, verify_page
from app.web.downloads import baked_badge, branding_of, display_image
from app.web.og_image import og_image
from app.web.responses import IMMUTABLE, cached_bytes

router = APIRouter(tags=["pages"])


@router.get("/credentials/{credential_id}/qr.svg", response_class=Response)
async def credential_qr_svg(credential_id: uuid.UUID, request: Request) -> Response:
    """QR code (SVG) of the credential's permanent URL; cache it forever."""
    return await respond(request, credential_id, "qr.svg")


@router.get("/credentials/{credential_id}/qr.png", response_class=Response)
async def credential_qr_png(credential_id: uuid.UUID, request: Request) -> Response:
    """QR code (PNG) of the credential's permanent URL; cache it forever."""
    return await respond(request, credential_id, "qr.png")


def _badge(request: Request, session: SessionDep, credential_id: uuid.UUID, kind: str) -> Response:
    credential = credentials.get_public_credential(session, credential_id)
    baked = baked_badge(credential, kind, branding_of(session, credential))
    # Not immutable: a credential withdrawn from public view must stop being served.
    return cached_bytes(
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


def _display(
    request: Request, session: SessionDep, credential_id: uuid.UUID, kind: str
) -> Response:
    credential = credentials.get_public_credential(session, credential_id)
    image = display_image(credential, kind, branding_of(session, credential))
    # Not immutable: hiding the credential or changing the issuer's colours must show.
    return cached_bytes(request, image.body, image.media_type, image.etag, "public, max-age=300")


@router.get("/credentials/{credential_id}/image.svg", response_class=Response)
def credential_image_svg(
    credential_id: uuid.UUID, request: Request, session: SessionDep
) -> Response:
    """The badge picture alone (no credential inside): the page's hero image."""
    return _display(request, session, credential_id, "svg")


@router.get("/credentials/{credential_id}/image.png", response_class=Response)
def credential_image_png(
    credential_id: uuid.UUID, request: Request, session: SessionDep
) -> Response:
    """The badge picture alone as PNG, at most 512 px a side."""
    return _display(request, session, credential_id, "png")


@router.get("/credentials/{credential_id}/og.png", response_class=Response)
def credential_og_png(credential_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """The page's Open Graph image (1200 × 630 PNG) in the page's language (``?lang=``)."""
    credential = credentials.get_public_credential(session, credential_id)
    t = i18n.translator_for(request)
    image = og_image(credential, t, branding_of(session, credential))
    return cached_bytes(
        request,
        image.body,
        "image/png",
        image.etag,
        "public, max-age=300",
        **{"Content-Language": t.locale},
    )


@router.get("/credentials/{credential_id}/share/linkedin", response_class=Response)
def share_on_linkedin(credential_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """The page's "Add to LinkedIn" button: count the click (nothing about who clicked), then
    303 to LinkedIn's add-to-profile form prefilled from the credential."""
    credential = credentials.get_public_credential(session, credential_id)
    if not credential_page.shareable(credential):
        # Revoked, suspended, expired or not yet valid: nothing to add to a profile; the page
        # says why (an old link or a bookmarked button leads there instead).
        page = credential_page.credential_url(request, credential.id)
        return RedirectResponse(page, status_code=303, headers={"Cache-Control": "no-store"})
    target = credential_page.linkedin_target(request, credential)
    usage.count(usage.LINKEDIN, credential.issuer_id, credential.achievement_id)
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


@router.get("/credentials/{credential_id}/clr.json", response_class=Response)
def credential_clr(
    credential_id: uuid.UUID, request: Request, session: SessionDep, context: ContextDep
) -> Response:
    """The signed CLR 2.0 of the program this credential was awarded for (a download, in the
    page language); 404 for any other credential, a hidden one or an award no longer valid."""
    return program_clr.clr_download(request, session, context, credential_id)


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
        # The report page is rendered in the lane too: translating a hostile document's
        # details is work the anonymous caller asked for, not the event loop's.
        page: Response = await admission.in_lane(
            request,
            _verified_page,
            request,
            form,
            session,
            None if is_url else data,
            str(data) if is_url else None,
            caller.limits,
            t,
        )
        return page
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


def _verified_page(
    request: Request,
    form: verify_page.VerifyForm,
    session: Any,
    data: bytes | str | None,
    url: str | None,
    limits: Any,
    t: i18n.Translator,
) -> Response:
    """Verify what the form brought and render the report (in the verify lane)."""
    outcome = verify_page.verify_submitted(session, data, url, limits, t)
    return verify_page.page(request, t, outcome=outcome, form=form)


@router.get("/static/{name}", include_in_schema=False)
def static_asset(name: str, request: Request) -> Response:
    """The stylesheet and script (content-hashed URLs, so cached for a year)."""
    asset = static.ASSETS.get(name)
    if asset is None:
        raise NotFound("No such asset.")
    etag = f'"{asset.version}"'
    return cached_bytes(request, asset.body, asset.media_type, etag, IMMUTABLE)
