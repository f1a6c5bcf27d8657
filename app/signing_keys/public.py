"""Public key documents: each issuer's DID document and the service-wide JWK Set."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.issuers import service as issuers
from app.signing_keys import service

router = APIRouter(tags=["public"])


@router.get("/issuers/{issuer_id}/did.json", response_class=JSONResponse)
def get_did_document(
    issuer_id: uuid.UUID, session: SessionDep, context: ContextDep
) -> JSONResponse:
    """The issuer's did:web document: every key ever used, retired ones included."""
    issuers.get_issuer(session, issuer_id)
    document = service.did_document(session, context, issuer_id)
    return JSONResponse(document, media_type="application/did+json")


@router.get("/.well-known/jwks.json", response_class=JSONResponse)
def get_jwks(session: SessionDep) -> JSONResponse:
    """Every public key of every issuer as a JWK Set (``kid`` = DID URL)."""
    return JSONResponse(service.jwks(session), media_type="application/jwk-set+json")
