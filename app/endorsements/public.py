"""Public endorsement documents, served exactly as signed."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from app.core.db import SessionDep
from app.endorsements import service

router = APIRouter(tags=["public"])


@router.get("/endorsements/{endorsement_id}", response_class=Response)
def get_endorsement(endorsement_id: uuid.UUID, session: SessionDep) -> Response:
    """The signed EndorsementCredential (its id is this URL)."""
    row = service.get_endorsement(session, endorsement_id)
    return Response(row.document, media_type="application/vc+ld+json")
