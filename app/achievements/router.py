"""Issuer API: achievements."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.achievements import service
from app.achievements.schemas import AchievementCreate, AchievementRead, AchievementUpdate
from app.core.context import ContextDep
from app.core.db import SessionDep
from app.core.schemas import MAX_OFFSET
from app.core.security import IssuerAuth

router = APIRouter(prefix="/api/v1/achievements", tags=["achievements"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AchievementRead)
def create_achievement(
    data: AchievementCreate, principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> AchievementRead:
    """Create an achievement (version 1)."""
    row = service.create_achievement(session, principal.issuer_id, data, actor=principal.actor)
    return service.to_read(context, row)


@router.get("", response_model=list[AchievementRead])
def list_achievements(
    principal: IssuerAuth,
    session: SessionDep,
    context: ContextDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[AchievementRead]:
    """The issuer's achievements (current versions)."""
    rows = service.list_achievements(session, principal.issuer_id, limit=limit, offset=offset)
    return [service.to_read(context, r) for r in rows]


@router.get("/{achievement_id}", response_model=AchievementRead)
def get_achievement(
    achievement_id: uuid.UUID, principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> AchievementRead:
    """The current version of one achievement."""
    return service.to_read(
        context, service.get_current(session, principal.issuer_id, achievement_id)
    )


@router.patch("/{achievement_id}", response_model=AchievementRead)
def update_achievement(
    achievement_id: uuid.UUID,
    data: AchievementUpdate,
    principal: IssuerAuth,
    session: SessionDep,
    context: ContextDep,
) -> AchievementRead:
    """Edit an achievement; once issued, an edit creates a new version."""
    row = service.update_achievement(
        session, principal.issuer_id, achievement_id, data, actor=principal.actor
    )
    return service.to_read(context, row)
