"""API shapes for achievements (OB 3.0 Achievement fields, camelCase)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator, model_validator

from app.core import images
from app.core.schemas import (
    AchievementType,
    ApiModel,
    FieldOfStudy,
    HttpUrl,
    HumanCode,
    LanguageTag,
    ReadModel,
    ShortText,
    Text,
)
from openbadges.model.enums import AlignmentTargetTypeValue, ResultTypeValue


class CriteriaIn(ApiModel):
    """How the achievement is earned: a page URL and/or a Markdown narrative."""

    id: HttpUrl | None = None
    narrative: Text | None = None

    @model_validator(mode="after")
    def _one_of(self) -> CriteriaIn:
        if self.id is None and self.narrative is None:
            raise ValueError("criteria needs an id (URL) or a narrative")
        return self


IMAGE_PROBLEMS = {
    "empty": "the data: URI holds no image",
    "too_big": f"the image is larger than {images.MAX_IMAGE_BYTES // 1024} KB",
    "type": "only PNG and SVG images (or JPEG, GIF, WebP) are accepted as data: URIs, "
    "checked by content",
    "mismatch": "the data: URI's media type does not match the image's content",
    "svg_entity": "the SVG declares a DOCTYPE or entities; they are not allowed",
    "svg_invalid": "the SVG is not well-formed XML",
    "too_many_pixels": "the image is larger than 4096 × 4096 pixels (or 16,777,216 pixels in all)",
}
"""Why an ``image.id`` data: URI is refused (an SVG's scripts and outside references are
removed, not refused)."""


class ImageIn(ApiModel):
    """An image by URL (or data: URI) with an optional caption."""

    id: str = Field(min_length=1, max_length=2_000_000, pattern=r"^(https?://|data:image/)")
    caption: ShortText | None = None

    @field_validator("id")
    @classmethod
    def _checked_data_uri(cls, value: str) -> str:
        """A ``data:`` image is checked by content and an SVG sanitised (:mod:`app.core.images`,
        at most 256 KB as in the console); an ``https`` URL is kept as given (never fetched)."""
        if not value.startswith("data:"):
            return value
        try:
            return images.check_data_uri(value)
        except images.ImageRefused as refused:
            raise ValueError(IMAGE_PROBLEMS.get(refused.code, IMAGE_PROBLEMS["type"])) from None


class AlignmentIn(ApiModel):
    """A competency or framework item the achievement aligns to."""

    target_name: ShortText
    target_url: HttpUrl
    target_code: ShortText | None = None
    target_description: Text | None = None
    target_framework: ShortText | None = None
    target_type: AlignmentTargetTypeValue | None = None


class RubricCriterionLevelIn(ApiModel):
    """One rubric level, lowest first; a Result names it by ``id`` in ``achievedLevel`` (H7)."""

    id: str = Field(max_length=2048, pattern=r"^(https?://|urn:)")
    type: list[str] = Field(default_factory=lambda: ["RubricCriterionLevel"])
    name: ShortText
    description: Text | None = None
    level: ShortText | None = None
    points: ShortText | None = None


class ResultDescriptionIn(ApiModel):
    """A result the achievement records (grade, score, status…)."""

    id: str | None = Field(default=None, max_length=2048, pattern=r"^(https?://|urn:)")
    name: ShortText
    result_type: ResultTypeValue
    allowed_value: list[ShortText] | None = None
    required_value: ShortText | None = None
    value_min: ShortText | None = None
    value_max: ShortText | None = None
    rubric_criterion_level: list[RubricCriterionLevelIn] | None = Field(default=None, max_length=20)
    required_level: str | None = Field(default=None, max_length=2048)


class RelatedIn(ApiModel):
    """Another achievement this one is related to (e.g. its translation)."""

    id: str = Field(min_length=1, max_length=2048, pattern=r"^(https?://|urn:)")
    in_language: LanguageTag | None = None
    version: ShortText | None = None


class AchievementFields(ApiModel):
    """Fields shared by create and update."""

    achievement_type: AchievementType | None = None
    image: ImageIn | None = None
    alignment: list[AlignmentIn] = Field(default_factory=list, max_length=100)
    result_description: list[ResultDescriptionIn] = Field(default_factory=list, max_length=100)
    credits_available: float | None = Field(default=None, ge=0, le=10_000)
    in_language: LanguageTag | None = None
    related: list[RelatedIn] = Field(default_factory=list, max_length=100)
    tags: list[ShortText] = Field(default_factory=list, max_length=100)
    human_code: HumanCode | None = None
    field_of_study: FieldOfStudy | None = None


class AchievementCreate(AchievementFields):
    """A new achievement."""

    name: ShortText
    description: Text
    criteria: CriteriaIn


class AchievementUpdate(AchievementFields):
    """Changes; members left out stay as they are (required members cannot be set to null)."""

    name: ShortText | None = None
    description: Text | None = None
    criteria: CriteriaIn | None = None

    @field_validator("name", "description", "criteria", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        """An explicit null is an error at its own path, never a NULL written to a column."""
        if value is None:
            raise ValueError("may be left out but not set to null")
        return value


class AchievementRead(ReadModel):
    """An achievement version as the API shows it."""

    id: uuid.UUID = Field(description="Stable id across versions (use it to issue).")
    version: int
    version_id: uuid.UUID
    url: str = Field(description="The achievement id carried in credentials.")
    name: str
    description: str
    achievement_type: str | None
    criteria: dict[str, Any]
    image: dict[str, Any] | None
    alignment: list[dict[str, Any]]
    result_description: list[dict[str, Any]]
    credits_available: float | None
    in_language: str | None
    related: list[dict[str, Any]]
    tags: list[str]
    human_code: str | None
    field_of_study: str | None
    created_at: datetime
    updated_at: datetime
