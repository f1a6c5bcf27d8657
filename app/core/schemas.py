"""Shared pydantic bases and field types for the JSON API."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
)
from pydantic.alias_generators import to_camel

from app.models import lengths
from openbadges.model.enums import AchievementTypeValue

_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HTTP_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")

MAX_OFFSET = 2**31 - 1
"""The largest ``offset`` of a paged list: larger numbers overflow the databases' integers
(SQLite binds at most 64 bits, a 500), and no list is that long."""


def _has_nul(value: Any) -> bool:
    """True when a string anywhere in ``value`` (keys included) holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_has_nul(item) for item in value)
    return False


class ApiModel(BaseModel):
    """camelCase JSON, unknown members refused (a typo must not be silently dropped)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold U+0000: refused here as a 422 naming the field, on every
        # database alike, instead of a 500 from the INSERT.
        if _has_nul(value):
            raise ValueError("must not contain NUL (U+0000) characters")
        return value


class ReadModel(BaseModel):
    """camelCase output models built from ORM rows or dicts."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


def _nfc(value: str) -> str:
    """NFC-normalise and trim: the same text must always sign the same way."""
    return unicodedata.normalize("NFC", value).strip()


def _language(value: str) -> str:
    if not _LANGUAGE_TAG.match(value):
        raise ValueError(f"{value!r} is not a BCP 47 language tag")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("not an email address")
    return value.lower()


def _http_url(value: str) -> str:
    if not _HTTP_URL.match(value):
        raise ValueError("must be an absolute http(s) URL")
    return value


def _utc_representable(value: datetime) -> datetime:
    """Refuse an instant that has no UTC representation between years 1 and 9999."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("date-time is out of range (years 1-9999 in UTC)") from None
    return value


def _at_most(limit: int) -> AfterValidator:
    """A length check of the normalised text with a plain message (pydantic's own check, after
    a validator, speaks of "items"); ``Field(max_length=)`` stays for the OpenAPI document."""

    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters (this has {len(value)})")
        return value

    return AfterValidator(check)


Timestamp = Annotated[AwareDatetime, AfterValidator(_utc_representable)]
"""A date-time with an offset that converts to UTC (``0001-01-01T00:00+01:00`` does not)."""
Text = Annotated[
    str, AfterValidator(_nfc), _at_most(10_000), Field(min_length=1, max_length=10_000)
]
ShortText = Annotated[
    str, AfterValidator(_nfc), _at_most(lengths.NAME), Field(min_length=1, max_length=lengths.NAME)
]
LanguageTag = Annotated[str, Field(max_length=lengths.LANGUAGE_TAG), AfterValidator(_language)]
Email = Annotated[str, Field(max_length=lengths.EMAIL), AfterValidator(_email)]
HttpUrl = Annotated[str, Field(max_length=lengths.URL), AfterValidator(_http_url)]

# Texts stored in shorter columns than ``ShortText`` (lengths measured after NFC, as stored).
HumanCode = Annotated[
    str,
    AfterValidator(_nfc),
    _at_most(lengths.HUMAN_CODE),
    Field(min_length=1, max_length=lengths.HUMAN_CODE),
]
FieldOfStudy = Annotated[
    str,
    AfterValidator(_nfc),
    _at_most(lengths.FIELD_OF_STUDY),
    Field(min_length=1, max_length=lengths.FIELD_OF_STUDY),
]
ApiKeyName = Annotated[
    str,
    AfterValidator(_nfc),
    _at_most(lengths.API_KEY_NAME),
    Field(min_length=1, max_length=lengths.API_KEY_NAME),
]
AchievementType = Annotated[AchievementTypeValue, Field(max_length=lengths.ACHIEVEMENT_TYPE)]
"""An OB 3.0 achievement type or an ``ext:`` term short enough for its column."""

Bool = StrictBool
"""Request booleans are JSON ``true``/``false`` only: pydantic's lax mode would take ``0``,
``"yes"`` or ``"off"``, and ``{"hidden": 0}`` must not quietly mean "show"."""
