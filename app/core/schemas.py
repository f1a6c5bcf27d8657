"""Shared pydantic bases and field types for the JSON API."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HTTP_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


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


Timestamp = Annotated[AwareDatetime, AfterValidator(_utc_representable)]
"""A date-time with an offset that converts to UTC (``0001-01-01T00:00+01:00`` does not)."""
Text = Annotated[str, AfterValidator(_nfc), Field(min_length=1, max_length=10_000)]
ShortText = Annotated[str, AfterValidator(_nfc), Field(min_length=1, max_length=500)]
LanguageTag = Annotated[str, Field(max_length=35), AfterValidator(_language)]
Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]
HttpUrl = Annotated[str, Field(max_length=2048), AfterValidator(_http_url)]
