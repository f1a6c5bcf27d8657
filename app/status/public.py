"""Public status lists: the stored, signed BitstringStatusListCredential."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from app.core.context import ContextDep
from app.core.db import SessionDep
from app.status import service

router = APIRouter(tags=["public"])


@router.get("/status/{list_id}")
def get_status_list(list_id: uuid.UUID, session: SessionDep, context: ContextDep) -> Response:
    """The signed status list; cacheable for as long as its ``ttl`` says."""
    row = service.get_published_list(session, list_id)
    ttl = context.settings.status_list_ttl_seconds
    return Response(
        row.document.encode("utf-8"),
        media_type="application/vc+ld+json",
        headers={"Cache-Control": f"public, max-age={ttl}", "ETag": f'"{row.id}-{row.revision}"'},
    )
