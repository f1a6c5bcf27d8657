"""Public key documents: the service-wide JWK Set.

Each issuer's DID document (its keys, under its DID) is served by :mod:`app.issuers.public`.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.core.db import SessionDep
from app.signing_keys import service

router = APIRouter(tags=["public"])


@router.get("/.well-known/jwks.json", response_class=JSONResponse)
def get_jwks(session: SessionDep) -> JSONResponse:
    """Every public key of every issuer as a JWK Set (``kid`` = DID URL)."""
    return JSONResponse(service.jwks(session), media_type="application/jwk-set+json")
