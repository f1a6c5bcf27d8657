"""Settings › Signing keys and Settings › API keys.

Signing keys: the list (type, purpose, state, created, retired, verification method) for
``viewer`` and up; rotation by an ``owner`` after a confirmation page, through
:func:`app.signing_keys.service.rotate_keys` (what ``POST /api/v1/keys/rotate`` runs).

API keys (``owner`` only): the list (prefix, name, created, revoked; the service records no
last use), creation and revocation through :mod:`app.api_keys.service`, the functions of the
admin API ``/api/v1/issuers/{id}/api-keys``, always for the owner's own issuer. A new key's
token is in the answer to the creating post only (a page marked ``no-store``): never in a URL,
a redirect, a log line or a later page.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.api_keys import service as api_keys
from app.api_keys.schemas import ApiKeyCreate
from app.console import pages
from app.console.access import IssuerConsole, require_role
from app.console.settings_view import FieldError, field_errors, settings_page
from app.core.context import ContextDep
from app.core.db import SessionDep
from app.signing_keys import service as signing_keys
from app.signing_keys.service import DATA_INTEGRITY, JWT
from openbadges.keys import KeyType

router = APIRouter(tags=["console"], include_in_schema=False)

Reader = Annotated[IssuerConsole, Depends(require_role("viewer"))]
Owner = Annotated[IssuerConsole, Depends(require_role("owner"))]
OwnerPost = Annotated[IssuerConsole, Depends(require_role("owner", change=True))]

PURPOSES = (DATA_INTEGRITY, JWT)
JWT_TYPES = ("RSA", "P-256", "Ed25519")
"""The VC-JWT key types (RS256, ES256, EdDSA); Data Integrity keys are always Ed25519."""


def _keys_page(request: Request, session: SessionDep, console: IssuerConsole) -> Response:
    keys = sorted(
        signing_keys.list_keys(session, console.issuer.id),
        key=lambda k: (k.state != "active", -k.created_at.timestamp(), k.purpose),
    )
    return settings_page(request, console, "console_settings_keys.html", "keys", keys=keys)


@router.get("/console/{issuer_id}/settings/keys", response_class=Response)
def keys(request: Request, session: SessionDep, console: Reader) -> Response:
    """The issuer's signing keys, active first."""
    return _keys_page(request, session, console)


@router.get("/console/{issuer_id}/settings/keys/rotate", response_class=Response)
def confirm_rotation(
    request: Request, session: SessionDep, console: Owner, purpose: str = ""
) -> Response:
    """The confirmation step: which keys, what happens to the old ones."""
    active = {
        k.purpose: k
        for k in signing_keys.list_keys(session, console.issuer.id)
        if k.state == "active"
    }
    return settings_page(
        request,
        console,
        "console_settings_rotate.html",
        "keys",
        active=active,
        purposes=PURPOSES,
        chosen=[purpose] if purpose in PURPOSES else list(PURPOSES),
        jwt_types=JWT_TYPES,
    )


@router.post("/console/{issuer_id}/settings/keys/rotate", response_class=Response)
def rotate(
    session: SessionDep,
    context: ContextDep,
    console: OwnerPost,
    purposes: Annotated[list[str] | None, Form(max_length=40)] = None,
    jwt_key_type: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Retire the chosen active keys and make new ones (the old stay published)."""
    chosen = [p for p in dict.fromkeys(purposes or []) if p in PURPOSES]
    back = f"/console/{console.issuer.id}/settings/keys"
    if not chosen:
        return pages.redirect(f"{back}/rotate?error=no_purpose")
    kind = KeyType(jwt_key_type) if jwt_key_type in JWT_TYPES and JWT in chosen else None
    signing_keys.rotate_keys(
        session,
        context,
        console.issuer.id,
        actor=console.principal.actor,
        purposes=chosen,
        jwt_key_type=kind,
    )
    return pages.redirect(f"{back}?notice=rotated")


def _api_keys_page(
    request: Request,
    session: SessionDep,
    console: IssuerConsole,
    *,
    created: object = None,
    errors: list[FieldError] | None = None,
    name: str = "",
    status_code: int = 200,
) -> Response:
    return settings_page(
        request,
        console,
        "console_settings_api_keys.html",
        "api_keys",
        status_code=status_code,
        keys=list(reversed(api_keys.list_api_keys(session, console.issuer.id))),
        created=created,
        errors=errors or [],
        by_field={e.field: e for e in errors or [] if e.field},
        key_name=name,
    )


@router.get("/console/{issuer_id}/settings/api-keys", response_class=Response)
def list_api_keys(request: Request, session: SessionDep, console: Owner) -> Response:
    """The issuer's API keys (prefixes only) and the form for a new one."""
    return _api_keys_page(request, session, console)


@router.post("/console/{issuer_id}/settings/api-keys", response_class=Response)
def create_api_key(
    request: Request,
    session: SessionDep,
    console: OwnerPost,
    name: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """A new key; its token is on this answer only."""
    label = name.strip() or "default"
    try:
        data = ApiKeyCreate.model_validate({"name": label})
    except ValidationError as exc:
        errors = field_errors(exc, {"name": "name"})
        return _api_keys_page(request, session, console, errors=errors, name=name, status_code=422)
    created = api_keys.create_api_key(
        session, console.issuer.id, data, actor=console.principal.actor
    )
    return _api_keys_page(request, session, console, created=created)


@router.post("/console/{issuer_id}/settings/api-keys/{key_id}/revoke", response_class=Response)
def revoke_api_key(key_id: uuid.UUID, session: SessionDep, console: OwnerPost) -> Response:
    """Revoke one of the issuer's keys (another issuer's: 404); it stops working at once."""
    api_keys.revoke_api_key(session, console.issuer.id, key_id, actor=console.principal.actor)
    return pages.redirect(f"/console/{console.issuer.id}/settings/api-keys?notice=revoked")
