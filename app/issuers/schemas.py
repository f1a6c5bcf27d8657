"""API shapes for issuers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, model_validator

from app.core.schemas import ApiModel, Email, HttpUrl, LanguageTag, ReadModel, ShortText, Text


class IssuerCreate(ApiModel):
    """A new issuer; ``name`` and ``description`` are keyed by BCP 47 tag (``en``, ``zh-CN``)."""

    name: dict[LanguageTag, ShortText] = Field(min_length=1)
    description: dict[LanguageTag, Text] = Field(default_factory=dict)
    default_language: LanguageTag | None = None
    url: HttpUrl | None = None
    email: Email | None = None
    image: HttpUrl | None = None

    @model_validator(mode="after")
    def _default_language_has_a_name(self) -> IssuerCreate:
        if self.default_language is None:
            self.default_language = next(iter(self.name))
        if self.default_language not in self.name:
            raise ValueError("defaultLanguage must be one of the languages given in name")
        return self


class IssuerRead(ReadModel):
    """An issuer as the admin API shows it."""

    id: uuid.UUID
    did: str
    profile_url: str
    name: dict[str, str]
    description: dict[str, str]
    default_language: str
    url: str | None
    email: str | None
    image: str | None
    created_at: datetime
