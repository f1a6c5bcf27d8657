"""Admin API: an issuer's API keys (``/api/v1/issuers/{id}/api-keys``)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from app.api_keys import service
from app.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from app.core.db import SessionDep
from app.core.security import AdminAuth

router = APIRouter(prefix="/api/v1/issuers", tags=["admin"])


@router.post(
    "/{issuer_id}/api-keys", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated
)
def create_api_key(
    issuer_id: uuid.UUID, admin: AdminAuth, session: SessionDep, data: ApiKeyCreate | None = None
) -> ApiKeyCreated:
    """Create an API key for the issuer; the token is returned this once only."""
    return service.create_api_key(session, issuer_id, data or ApiKeyCreate(), actor=admin.actor)


@router.get("/{issuer_id}/api-keys", response_model=list[ApiKeyRead])
def list_api_keys(issuer_id: uuid.UUID, _admin: AdminAuth, session: SessionDep) -> list[ApiKeyRead]:
    """The issuer's API keys (prefixes only)."""
    return [ApiKeyRead.model_validate(k) for k in service.list_api_keys(session, issuer_id)]


@router.delete("/{issuer_id}/api-keys/{key_id}", response_model=ApiKeyRead)
def revoke_api_key(
    issuer_id: uuid.UUID, key_id: uuid.UUID, admin: AdminAuth, session: SessionDep
) -> ApiKeyRead:
    """Revoke an API key; it stops working at once."""
    key = service.revoke_api_key(session, issuer_id, key_id, actor=admin.actor)
    return ApiKeyRead.model_validate(key)


@router.post("/{issuer_id}/api-keys/{key_id}/revoke", response_model=ApiKeyRead)
def revoke_api_key_post(
    issuer_id: uuid.UUID, key_id: uuid.UUID, admin: AdminAuth, session: SessionDep
) -> ApiKeyRead:
    """Revoke an API key (POST form, for clients that cannot send DELETE)."""
    return revoke_api_key(issuer_id, key_id, admin, session)
