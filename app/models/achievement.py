"""Achievements, versioned: an issued version is never edited, a new row is added instead."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models import lengths
from app.models.base import Base, JsonType, Timestamps, UUIDPk


class Achievement(UUIDPk, Timestamps, Base):
    """One version of an achievement; ``lineage_id`` is the id clients use across versions."""

    __tablename__ = "achievements"
    __table_args__ = (UniqueConstraint("lineage_id", "version"),)

    lineage_id: Mapped[uuid.UUID] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(default=1)
    is_current: Mapped[bool] = mapped_column(default=True)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"), index=True)
    name: Mapped[str] = mapped_column(String(lengths.NAME))
    description: Mapped[str] = mapped_column(Text)
    achievement_type: Mapped[str | None] = mapped_column(String(lengths.ACHIEVEMENT_TYPE))
    criteria: Mapped[dict[str, Any]] = mapped_column(JsonType)
    image: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    alignment: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    result_description: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    related: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    tags: Mapped[list[str]] = mapped_column(JsonType, default=list)
    credits_available: Mapped[float | None] = mapped_column(Float)
    in_language: Mapped[str | None] = mapped_column(String(lengths.LANGUAGE_TAG))
    human_code: Mapped[str | None] = mapped_column(String(lengths.HUMAN_CODE))
    field_of_study: Mapped[str | None] = mapped_column(String(lengths.FIELD_OF_STUDY))
