"""Admin API: issuers (their API keys: :mod:`app.api_keys.router`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.errors import Unauthorized, Unprocessable
from app.core.schemas import MAX_OFFSET
from app.core.security import (
    AdminAuth,
    AdminPrincipal,
    IssuerPrincipal,
    require_admin,
    require_issuer,
)
from app.issuers import logo, service
from app.issuers.schemas import ADMIN_ONLY_SETTINGS, IssuerCreate, IssuerRead, IssuerUpdate

router = APIRouter(prefix="/api/v1/issuers", tags=["admin"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=IssuerRead)
def create_issuer(
    data: IssuerCreate, admin: AdminAuth, session: SessionDep, context: ContextDep
) -> IssuerRead:
    """Create an issuer with its signing keys and status lists."""
    issuer = service.create_issuer(session, context, data, actor=admin.actor)
    return service.to_read(context, issuer)


@router.get("", response_model=list[IssuerRead])
def list_issuers(
    _admin: AdminAuth,
    session: SessionDep,
    context: ContextDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[IssuerRead]:
    """List issuers."""
    return [
        service.to_read(context, i)
        for i in service.list_issuers(session, limit=limit, offset=offset)
    ]


@router.get("/{issuer_id}", response_model=IssuerRead)
def get_issuer(
    issuer_id: uuid.UUID, _admin: AdminAuth, session: SessionDep, context: ContextDep
) -> IssuerRead:
    """One issuer."""
    return service.to_read(context, service.get_issuer(session, issuer_id))


async def admin_or_own_key(
    request: Request, context: ContextDep
) -> AdminPrincipal | IssuerPrincipal:
    """The admin token, or an issuer's API key (which then reaches only its own issuer)."""
    try:
        return await require_admin(request, context)
    except Unauthorized:
        return await require_issuer(request)


@router.patch("/{issuer_id}", response_model=IssuerRead)
def update_issuer(
    issuer_id: uuid.UUID,
    data: IssuerUpdate,
    caller: Annotated[AdminPrincipal | IssuerPrincipal, Depends(admin_or_own_key)],
    session: SessionDep,
    context: ContextDep,
) -> IssuerRead:
    """Change the issuer's profile (name and description per language, url, email, image,
    suspension setting, e-mail settings): the admin, or the issuer's own API key (another
    issuer's key: 404; the e-mail quota and rate: the admin only).

    Credentials issued afterwards carry the new profile (in every worker within
    ``PROFILE_CACHE_SECONDS``, 5 s); those issued before keep the profile they were signed with.
    """
    if isinstance(caller, IssuerPrincipal) and caller.issuer_id != issuer_id:
        raise service.IssuerNotFound("No such issuer.")
    if isinstance(caller, IssuerPrincipal):
        for member, alias in ADMIN_ONLY_SETTINGS.items():
            if member in data.model_fields_set:
                raise Unprocessable(
                    f"{alias} is set by the service's administrator (admin token), "
                    "not by the issuer's own key.",
                    field=f"$.{alias}",
                )
    issuer = service.update_issuer(session, issuer_id, data, actor=caller.actor)
    return service.to_read(context, issuer)


Caller = Annotated[AdminPrincipal | IssuerPrincipal, Depends(admin_or_own_key)]


def _own(caller: AdminPrincipal | IssuerPrincipal, issuer_id: uuid.UUID) -> None:
    """Another issuer's key: 404, as ``PATCH``."""
    if isinstance(caller, IssuerPrincipal) and caller.issuer_id != issuer_id:
        raise service.IssuerNotFound("No such issuer.")


@router.put(
    "/{issuer_id}/logo",
    response_model=IssuerRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in logo.CONTENT_TYPES
            },
        }
    },
)
async def put_logo(
    issuer_id: uuid.UUID,
    request: Request,
    caller: Caller,
    session: SessionDep,
    context: ContextDep,
) -> IssuerRead:
    """Upload the issuer's logo: the raw file as the body, ``Content-Type: image/png`` or
    ``image/svg+xml``, at most 256 KB, checked by content (an SVG with a script, an event
    handler or a reference to another file or site: 422; too big: 413; another type: 415).

    It is served at ``GET /issuers/{id}/logo`` (``logoUrl``), which credentials issued from
    now on and the public profile carry as the issuer's ``image`` unless ``image`` (a URL) is
    set. The admin, or the issuer's own key (another issuer's key: 404).
    """
    _own(caller, issuer_id)
    service.get_issuer(session, issuer_id)
    data = await request.body()
    uri = logo.checked(data, request.headers.get("content-type", ""))
    issuer = logo.set_logo(session, issuer_id, uri, actor=caller.actor)
    return service.to_read(context, issuer)


@router.delete("/{issuer_id}/logo", status_code=status.HTTP_204_NO_CONTENT)
def delete_logo(issuer_id: uuid.UUID, caller: Caller, session: SessionDep) -> Response:
    """Remove the uploaded logo (none: 204 all the same); the admin or the issuer's own key."""
    _own(caller, issuer_id)
    logo.clear_logo(session, issuer_id, actor=caller.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
