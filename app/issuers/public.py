"""Public issuer documents: the DID document (its keys) and the Profile JSON-LD."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.issuers import service
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
