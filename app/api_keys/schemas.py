"""API shapes for API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from app.core.schemas import ApiKeyName, ApiModel, ReadModel


class ApiKeyCreate(ApiModel):
    """A label for the new key."""

    name: ApiKeyName = "default"


class ApiKeyRead(ReadModel):
    """A key as listed: the prefix only."""

    id: uuid.UUID
    issuer_id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    """Returned once, at creation: the only time the token is shown."""

    token: str
