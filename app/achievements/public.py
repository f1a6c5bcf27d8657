"""Public achievement URLs (the ids carried in credentials)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from app.achievements import service
from app.core.context import ContextDep
from app.core.db import SessionDep

router = APIRouter(tags=["public"])
_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


@router.get("/achievements/{achievement_id}/v{version}", response_class=JSONResponse)
def get_achievement_version(
    achievement_id: uuid.UUID,
    version: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
    context: ContextDep,
) -> JSONResponse:
    """One version of an achievement as OB 3.0 JSON-LD."""
    row = service.get_version(session, achievement_id, version)
    document = service.achievement_document(context.settings.base_url, row)
    return JSONResponse({"@context": _CONTEXT, **document}, media_type="application/ld+json")
