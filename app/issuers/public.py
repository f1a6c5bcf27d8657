"""Public issuer documents: the DID document (its keys) and the Profile JSON-LD."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.issuers import logo, service
from app.signing_keys import service as keys

router = APIRouter(tags=["public"])


@router.get("/issuers/{issuer_id}/did.json", response_class=JSONResponse)
def get_did_document(
    issuer_id: uuid.UUID, session: SessionDep, context: ContextDep
) -> JSONResponse:
    """The issuer's did:web document: every key ever used, retired ones included."""
    service.get_issuer(session, issuer_id)
    document = keys.did_document(session, context, issuer_id)
    return JSONResponse(document, media_type="application/did+json")


@router.get("/issuers/{issuer_id}", response_class=JSONResponse)
def get_profile(issuer_id: uuid.UUID, session: SessionDep, context: ContextDep) -> JSONResponse:
    """The issuer's Profile (JSON-LD)."""
    profile = service.public_profile(session, context, issuer_id)
    return JSONResponse(profile, media_type="application/ld+json")


LOGO_MAX_AGE_S = 300
"""How long a browser or a proxy may reuse the logo before asking again (then: ETag, 304)."""


@router.get("/issuers/{issuer_id}/logo", response_class=Response)
def get_logo(issuer_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """The issuer's uploaded logo (PNG or SVG; 404 when it has none). Cacheable, with an ETag;
    never sniffed; an SVG under a policy that lets nothing load or run."""
    found = logo.served(session, issuer_id)
    if found is None:
        raise service.IssuerNotFound("This issuer has no uploaded logo.")
    etag = f'"{found.digest}"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={LOGO_MAX_AGE_S}",
        "X-Content-Type-Options": "nosniff",
    }
    if found.media_type == "image/svg+xml":
        headers["Content-Security-Policy"] = logo.SVG_POLICY
    match = request.headers.get("if-none-match", "")
    if etag in {tag.strip().removeprefix("W/") for tag in match.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(found.data, media_type=found.media_type, headers=headers)


@router.get("/issuers/{issuer_id}/brand.css", response_class=Response)
def get_brand_css(issuer_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """The issuer's colours as CSS custom properties, for its credentials' pages.

    A stylesheet rather than a ``style`` attribute: the pages' Content-Security-Policy allows
    no inline style. Pages link it with a version (``?v=``) that changes with the colours.
    """
    issuer = service.get_issuer(session, issuer_id)
    body = service.brand_css(issuer).encode("ascii")
    etag = f'"{service.brand_version(issuer)}"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={LOGO_MAX_AGE_S}",
        "X-Content-Type-Options": "nosniff",
    }
    match = request.headers.get("if-none-match", "")
    if etag in {tag.strip().removeprefix("W/") for tag in match.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/css; charset=utf-8", headers=headers)
