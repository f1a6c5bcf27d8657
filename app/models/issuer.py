"""Issuers: the organisations whose DID signs credentials."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models import lengths
from app.models.base import Base, JsonType, Timestamps, UUIDPk


class Issuer(UUIDPk, Timestamps, Base):
    """An issuing organisation; texts are kept per BCP 47 language tag in ``translations``."""

    __tablename__ = "issuers"

    default_language: Mapped[str] = mapped_column(String(lengths.LANGUAGE_TAG))
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType)
    """``{"en": {"name": …, "description": …}, "zh-CN": {…}}``; ``default_language`` must be a key."""
    url: Mapped[str | None] = mapped_column(String(lengths.URL))
    email: Mapped[str | None] = mapped_column(String(lengths.EMAIL))
    image: Mapped[str | None] = mapped_column(String(lengths.URL))
    suspension_enabled: Mapped[bool] = mapped_column(default=False, server_default="0")
    """Credentials get a second ``credentialStatus`` entry (suspension) besides revocation.

    Off by default: OB 3.0 allows one ``credentialStatus`` ([0..1], an object in its JSON
    Schema), so such credentials are outside the OB 3.0 schema (VC 2.0 allows several)."""
    mail_sender_name: Mapped[str | None] = mapped_column(String(lengths.NAME), default=None)
    """The display name of notification e-mail's ``From`` (default: the issuer's name in the
    message's language); the address is the service's ``BADGES_MAIL_FROM``."""
    mail_reply_to: Mapped[str | None] = mapped_column(String(lengths.EMAIL), default=None)
    """Where learners' replies go (default: the profile's ``email``)."""
    notify_on_revocation: Mapped[bool] = mapped_column(default=False, server_default="0")
    """Tell the learner by e-mail when one of their credentials is revoked."""
    mail_daily_quota: Mapped[int | None] = mapped_column(default=None)
    """E-mails per UTC day (None: the service's ``BADGES_MAIL_DAILY_QUOTA``); set by the admin."""
    mail_rate_per_minute: Mapped[int | None] = mapped_column(default=None)
    """E-mails per minute beyond the burst (None: ``BADGES_MAIL_RATE_PER_MINUTE``); admin."""
    brand_color: Mapped[str | None] = mapped_column(String(lengths.HEX_COLOR), default=None)
    """``#rrggbb`` (lower case): white text on it reaches WCAG contrast 4.5:1."""
    accent_color: Mapped[str | None] = mapped_column(String(lengths.HEX_COLOR), default=None)
    """``#rrggbb`` (lower case): 3:1 against white (borders, large text)."""
    logo: Mapped[str | None] = mapped_column(Text, default=None, deferred=True)
    """An uploaded logo, checked (:mod:`app.issuers.branding`): a ``data:image/png;base64,…``
    or ``data:image/svg+xml;base64,…`` URI. Deferred: loaded only by the logo's own reads, so
    the issuing path and the lists never carry up to 350 KB per issuer."""
    logo_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    """SHA-256 (hex) of the logo's bytes: says there is one without loading it; its ETag."""

    def text(self, field: str, language: str | None = None) -> str | None:
        """A translated field in ``language``, falling back to the default language."""
        for tag in (language, self.default_language):
            if tag and tag in self.translations and self.translations[tag].get(field):
                return str(self.translations[tag][field])
        return None

    @property
    def name(self) -> str:
        """The issuer's name in its default language (what credentials carry)."""
        return self.text("name") or ""
