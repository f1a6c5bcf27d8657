"""API shapes for endorsements."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from app.core.schemas import ApiModel, LanguageTag, ReadModel, ShortText, Text

TargetType = Literal["achievement", "program", "credential", "issuer"]
EndorsementState = Literal["pending", "accepted", "declined"]


class EndorsementCreate(ApiModel):
    """A partner's endorsement; one signed credential per language given in ``comment``.

    There is deliberately no ``issuer`` member: the endorser is the owner of the API key, so a
    partner cannot speak in another partner's name (``extra="forbid"`` turns an attempt into 422).
    """

    target_type: TargetType
    target_id: uuid.UUID = Field(
        description="achievement: its id (lineage); program, credential, issuer: their id"
    )
    comment: dict[LanguageTag, Text] = Field(min_length=1)
    name: dict[LanguageTag, ShortText] = Field(default_factory=dict)


class EndorsementRead(ReadModel):
    """One stored endorsement (one language) with its signed document."""

    id: uuid.UUID
    group_id: uuid.UUID
    url: str
    issuer_id: uuid.UUID
    target_type: str
    target_id: str
    subject_uri: str
    language: str
    comment: str
    created_at: datetime
    state: EndorsementState = Field(
        description="the endorsed thing's owner's decision; only accepted ones are embedded"
    )
    accepted_at: datetime | None = None
    declined_at: datetime | None = None
    credential: dict[str, Any]
