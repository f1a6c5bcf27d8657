"""API shapes of the learner view: asking for a link, what the link shows, hiding a credential."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, model_validator

from app.core.schemas import ApiModel, Bool, Email, ReadModel
from app.models import lengths
from app.programs.schemas import LearnerProgress


class LearnerLinkCreate(ApiModel):
    """Ask for a signed learner link."""

    email: Email | None = None
    did: str | None = Field(default=None, max_length=lengths.DID, pattern=r"^did:[a-z0-9]+:\S+$")
    valid_days: int = Field(default=30, ge=1, le=365)

    @model_validator(mode="after")
    def _one(self) -> LearnerLinkCreate:
        if (self.email is None) == (self.did is None):
            raise ValueError("give exactly one of email or did")
        return self


class LearnerLink(ReadModel):
    """A signed learner link and when it stops working; it reaches only the issuing issuer's
    credentials and programs."""

    url: str = Field(description="The learner page; opening it swaps the token for a cookie.")
    api_url: str = Field(description="The learner JSON API; send `Authorization: Bearer <token>`.")
    token: str
    expires_at: datetime


class LearnerCredential(ReadModel):
    """One of the learner's credentials in their view."""

    id: uuid.UUID
    url: str
    name: str
    achievement_id: uuid.UUID
    language: str | None
    issuer_name: str | None = Field(default=None, description="The issuer's name as signed.")
    state: str
    hidden: bool
    valid_from: datetime
    valid_until: datetime | None


class LearnerView(ReadModel):
    """Everything a learner sees: credentials and program progress."""

    learner: str
    credentials: list[LearnerCredential]
    programs: list[LearnerProgress]


class VisibilityChange(ApiModel):
    """Hide a credential from public view, or show it again."""

    hidden: Bool
