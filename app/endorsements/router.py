"""Endorsement API: partners endorse with their own API key; anyone may list accepted ones."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.security import API_KEY_PREFIX, IssuerAuth, IssuerPrincipal, require_issuer
from app.endorsements import service
from app.endorsements.schemas import EndorsementCreate, EndorsementRead

router = APIRouter(prefix="/api/v1/endorsements", tags=["endorsements"])


async def optional_issuer(request: Request) -> IssuerPrincipal | None:
    """The issuer of an API key when the request carries one (a bad one is 401), else None.

    Listing is public; a key only widens it to the caller's own undecided endorsements. Other
    bearer tokens (the admin's) list what anyone sees.
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip().startswith(API_KEY_PREFIX):
        return None
    return await require_issuer(request)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=list[EndorsementRead])
def create_endorsement(
    data: EndorsementCreate, partner: IssuerAuth, session: SessionDep, context: ContextDep
) -> list[EndorsementRead]:
    """Endorse an achievement, program, credential or issuer as the API key's issuer."""
    rows = service.create_endorsements(
        session, context, data, partner_id=partner.issuer_id, actor=partner.actor
    )
    return [service.to_read(context, row) for row in rows]


@router.get("", response_model=list[EndorsementRead])
def list_endorsements(
    session: SessionDep,
    context: ContextDep,
    target: Annotated[str, Query(min_length=1, max_length=2048)],
    caller: Annotated[IssuerPrincipal | None, Depends(optional_issuer)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[EndorsementRead]:
    """Endorsements of a target (its public id, or the service's id of it).

    Accepted ones are public; a pending or declined one is listed only to its endorser and to
    the owner of the endorsed thing (with their API key).
    """
    viewer = caller.issuer_id if caller is not None else None
    rows = service.list_endorsements(session, context, target, viewer=viewer, limit=limit)
    return [service.to_read(context, row) for row in rows]


@router.post("/{endorsement_id}/accept", response_model=list[EndorsementRead])
def accept_endorsement(
    endorsement_id: uuid.UUID, owner: IssuerAuth, session: SessionDep, context: ContextDep
) -> list[EndorsementRead]:
    """Accept an endorsement of the key's own work: credentials issued from now embed it."""
    rows = service.decide_endorsement(
        session, context, endorsement_id, accept=True, owner_id=owner.issuer_id, actor=owner.actor
    )
    return [service.to_read(context, row) for row in rows]


@router.post("/{endorsement_id}/decline", response_model=list[EndorsementRead])
def decline_endorsement(
    endorsement_id: uuid.UUID, owner: IssuerAuth, session: SessionDep, context: ContextDep
) -> list[EndorsementRead]:
    """Decline an endorsement of the key's own work: it is never embedded."""
    rows = service.decide_endorsement(
        session, context, endorsement_id, accept=False, owner_id=owner.issuer_id, actor=owner.actor
    )
    return [service.to_read(context, row) for row in rows]
