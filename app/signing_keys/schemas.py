"""API shapes for keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class _Schema(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class KeyRotate(_Schema):
    """Which proof keys to rotate; both by default."""

    purposes: list[Literal["data-integrity", "jwt"]] = ["data-integrity", "jwt"]
    jwt_key_type: Literal["RSA", "P-256", "Ed25519"] | None = None


class KeyRead(_Schema):
    """A public view of a key (never the private half)."""

    id: uuid.UUID
    key_type: str
    purpose: str
    state: str
    verification_method: str
    created_at: datetime
    retired_at: datetime | None
