"""Issuer API: key rotation and listing."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.security import IssuerAuth
from app.signing_keys import service
from app.signing_keys.schemas import KeyRead, KeyRotate
from openbadges.keys import KeyType

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])


@router.get("", response_model=list[KeyRead])
def list_keys(principal: IssuerAuth, session: SessionDep) -> list[KeyRead]:
    """Every key of the caller's issuer, active and retired."""
    return [
        KeyRead.model_validate(k, from_attributes=True)
        for k in service.list_keys(session, principal.issuer_id)
    ]


@router.post("/rotate", response_model=list[KeyRead])
def rotate_keys(
    principal: IssuerAuth, session: SessionDep, context: ContextDep, data: KeyRotate | None = None
) -> list[KeyRead]:
    """Add new active keys and retire the old ones (which stay published)."""
    data = data or KeyRotate()
    created = service.rotate_keys(
        session,
        context,
        principal.issuer_id,
        actor=principal.actor,
        purposes=data.purposes,
        jwt_key_type=KeyType(data.jwt_key_type) if data.jwt_key_type else None,
    )
    return [KeyRead.model_validate(k, from_attributes=True) for k in created]
