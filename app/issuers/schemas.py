"""API shapes for issuers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field, StrictBool, ValidationInfo, field_validator, model_validator

from app.core.schemas import ApiModel, Email, HttpUrl, LanguageTag, ReadModel, ShortText, Text
from app.issuers import colors

BRAND_COLOR_DOC = (
    "The issuer's brand colour, `#rrggbb` (stored lower case; `null` clears it): white text "
    "on it must reach a WCAG 2.1 contrast ratio of 4.5:1 (else 422 giving the ratio)."
)
ACCENT_COLOR_DOC = (
    "An accent colour for borders and large text on white, `#rrggbb`: at least 3:1 against "
    "white (WCAG 2.1)."
)
_COLOR_ALIASES = {"brand_color": "brandColor", "accent_color": "accentColor"}


def _checked_color(value: str | None, info: ValidationInfo) -> str | None:
    """A colour member checked (format, contrast) and lower-cased; None stays None."""
    if value is None:
        return None
    return colors.checked(value, _COLOR_ALIASES[str(info.field_name)])


class IssuerCreate(ApiModel):
    """A new issuer; ``name`` and ``description`` are keyed by BCP 47 tag (``en``, ``zh-CN``)."""

    name: dict[LanguageTag, ShortText] = Field(min_length=1)
    description: dict[LanguageTag, Text] = Field(default_factory=dict)
    default_language: LanguageTag | None = None
    url: HttpUrl | None = None
    email: Email | None = None
    image: HttpUrl | None = None
    jwt_algorithm: Literal["RS256", "ES256", "EdDSA"] = Field(
        default="RS256",
        description="The VC-JWT signing algorithm: RS256 (RSA-2048) by default, as OB 3.0 "
        "requires RS256 as a minimum; ES256 (P-256) and EdDSA (Ed25519) interoperate less "
        "widely. Key rotation keeps it.",
    )
    suspension_enabled: StrictBool = Field(
        default=False,
        description="Credentials also get a suspension status entry, so credentialStatus is "
        "an array of two (valid VC 2.0, outside the OB 3.0 JSON Schema). Off: one revocation "
        "entry, as OB 3.0 allows.",
    )
    brand_color: str | None = Field(default=None, description=BRAND_COLOR_DOC)
    accent_color: str | None = Field(default=None, description=ACCENT_COLOR_DOC)

    @field_validator("brand_color", "accent_color")
    @classmethod
    def _colors(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _checked_color(value, info)

    @model_validator(mode="after")
    def _default_language_has_a_name(self) -> IssuerCreate:
        if self.default_language is None:
            self.default_language = next(iter(self.name))
        if self.default_language not in self.name:
            raise ValueError("defaultLanguage must be one of the languages given in name")
        return self


class IssuerUpdate(ApiModel):
    """A change to an issuer's profile (``PATCH``), with JSON Merge Patch semantics (RFC 7396).

    Members left out stay as they are; ``null`` clears ``url``, ``email``, ``image``,
    ``brandColor``, ``accentColor``, a
    language's ``description`` or (``"description": null``) every description; ``name`` and
    ``description`` merge per language tag (a tag set to ``null`` is removed). Values are
    checked as on creation. The keys cannot change here: ``jwtAlgorithm`` is not accepted
    (rotate the keys instead).
    """

    name: dict[LanguageTag, ShortText | None] | None = None
    description: dict[LanguageTag, Text | None] | None = None
    default_language: LanguageTag | None = None
    url: HttpUrl | None = None
    email: Email | None = None
    image: HttpUrl | None = None
    suspension_enabled: StrictBool | None = Field(
        default=None,
        description="Credentials issued from now on get a suspension status entry too "
        "(see the create schema); credentials already issued keep what they have.",
    )
    mail_sender_name: ShortText | None = Field(
        default=None,
        description="The display name of the e-mails to learners (`From: <name> "
        "<BADGES_MAIL_FROM>`); default (`null`): the issuer's name in the e-mail's language.",
    )
    mail_reply_to: Email | None = Field(
        default=None,
        description="Where learners' replies go; default (`null`): the profile's `email`.",
    )
    notify_on_revocation: StrictBool | None = Field(
        default=None, description="E-mail the learner when one of their credentials is revoked."
    )
    mail_daily_quota: int | None = Field(
        default=None,
        ge=0,
        le=10_000_000,
        description="E-mails per UTC day (admin token only; `null`: BADGES_MAIL_DAILY_QUOTA). "
        "E-mails beyond it fail, each saying so on its credential.",
    )
    mail_rate_per_minute: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="E-mails per minute after a burst (admin token only; `null`: "
        "BADGES_MAIL_RATE_PER_MINUTE); faster ones wait their turn.",
    )
    brand_color: str | None = Field(default=None, description=BRAND_COLOR_DOC)
    accent_color: str | None = Field(default=None, description=ACCENT_COLOR_DOC)

    @field_validator("brand_color", "accent_color")
    @classmethod
    def _colors(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _checked_color(value, info)

    @model_validator(mode="after")
    def _required_members_are_not_null(self) -> IssuerUpdate:
        for member, alias in _NOT_NULL.items():
            if member in self.model_fields_set and getattr(self, member) is None:
                raise ValueError(f"{alias} cannot be null")
        return self


_NOT_NULL = {
    "name": "name",
    "default_language": "defaultLanguage",
    "suspension_enabled": "suspensionEnabled",
    "notify_on_revocation": "notifyOnRevocation",
}
ADMIN_ONLY_SETTINGS = {
    "mail_daily_quota": "mailDailyQuota",
    "mail_rate_per_minute": "mailRatePerMinute",
}
"""Limits that protect the service's mail reputation: an issuer's own key cannot raise them."""


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
    suspension_enabled: bool
    mail_sender_name: str | None
    mail_reply_to: str | None
    notify_on_revocation: bool
    mail_daily_quota: int | None
    mail_rate_per_minute: int | None
    brand_color: str | None
    accent_color: str | None
    logo_url: str | None = Field(
        description="Where the uploaded logo is served (`PUT /api/v1/issuers/{id}/logo`), or "
        "null; credentials and the public profile use it as `image` when `image` is not set."
    )
    created_at: datetime
