"""``GET /api/v1/issuer``: the issuer an API key belongs to (an integration's first call)."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.security import IssuerAuth
from app.issuers import service
from app.issuers.schemas import IssuerRead

router = APIRouter(prefix="/api/v1", tags=["issuer"])


@router.get("/issuer", response_model=IssuerRead)
def get_own_issuer(issuer: IssuerAuth, session: SessionDep, context: ContextDep) -> IssuerRead:
    """The issuer of the calling API key: its id, DID, profile and settings.

    Change them with ``PATCH /api/v1/issuers/{id}`` (this key may, for its own issuer).
    """
    return service.to_read(context, service.get_issuer(session, issuer.issuer_id))
