"""Shared pydantic bases and field types for the JSON API."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HTTP_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


class ApiModel(BaseModel):
    """camelCase JSON, unknown members refused (a typo must not be silently dropped)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


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


Text = Annotated[str, AfterValidator(_nfc), Field(min_length=1, max_length=10_000)]
ShortText = Annotated[str, AfterValidator(_nfc), Field(min_length=1, max_length=500)]
LanguageTag = Annotated[str, Field(max_length=35), AfterValidator(_language)]
Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]
HttpUrl = Annotated[str, Field(max_length=2048), AfterValidator(_http_url)]
