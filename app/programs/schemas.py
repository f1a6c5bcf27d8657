"""API shapes for programs and a learner's progress in them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from app.achievements.schemas import AlignmentIn, CriteriaIn, ImageIn, ResultDescriptionIn
from app.core.schemas import (
    ApiModel,
    FieldOfStudy,
    HumanCode,
    LanguageTag,
    ReadModel,
    ShortText,
    Text,
)
from app.programs.rules import CompletionRule

RevocationPolicy = Literal["flag", "suspend"]
ProgramAchievementType = Literal["Certificate", "LearningProgram"]


class ProgramAchievementIn(ApiModel):
    """The program's own achievement (its name and description come from the program)."""

    achievement_type: ProgramAchievementType = "LearningProgram"
    criteria: CriteriaIn
    image: ImageIn | None = None
    alignment: list[AlignmentIn] = Field(default_factory=list, max_length=100)
    result_description: list[ResultDescriptionIn] = Field(default_factory=list, max_length=100)
    credits_available: float | None = Field(default=None, ge=0, le=10_000)
    tags: list[ShortText] = Field(default_factory=list, max_length=100)
    human_code: HumanCode | None = None
    field_of_study: FieldOfStudy | None = None


class ProgramCreate(ApiModel):
    """A new program: bilingual texts, its modules, when it is complete, and revocation policy."""

    name: dict[LanguageTag, ShortText] = Field(min_length=1)
    description: dict[LanguageTag, Text] = Field(min_length=1)
    default_language: LanguageTag | None = None
    modules: list[uuid.UUID] = Field(min_length=1, max_length=100)
    rule: CompletionRule = Field(default_factory=CompletionRule)
    on_module_revoked: RevocationPolicy = "flag"
    achievement: ProgramAchievementIn

    @model_validator(mode="after")
    def _consistent(self) -> ProgramCreate:
        """Every language has a name and a description; modules are distinct."""
        if set(self.name) != set(self.description):
            raise ValueError("name and description must be given in the same languages")
        if self.default_language is None:
            self.default_language = next(iter(self.name))
        if self.default_language not in self.name:
            raise ValueError("defaultLanguage must be one of the languages of name")
        if len(set(self.modules)) != len(self.modules):
            raise ValueError("modules must not repeat")
        return self


class ModuleRead(ReadModel):
    """A module of a program."""

    achievement_id: uuid.UUID
    name: str
    position: int


class ProgramRead(ReadModel):
    """A program as the API shows it."""

    id: uuid.UUID
    issuer_id: uuid.UUID
    achievement_id: uuid.UUID = Field(description="The program achievement (lineage id).")
    achievement_url: str
    achievements_by_language: dict[str, uuid.UUID]
    name: dict[str, str]
    description: dict[str, str]
    default_language: str
    modules: list[ModuleRead]
    rule: dict[str, Any]
    on_module_revoked: str
    created_at: datetime


class ModuleProgressRead(ReadModel):
    """One module's state for one learner."""

    achievement_id: uuid.UUID
    name: str
    earned: bool
    counts: bool = Field(description="Earned and meets the rule's minimum result.")
    credential_ids: list[uuid.UUID]
    reason: str | None


class LearnerProgress(ReadModel):
    """Where a learner stands in a program."""

    program_id: uuid.UUID
    program_name: dict[str, str]
    learner: str
    modules: list[ModuleProgressRead]
    required: int
    counted: int
    rule_satisfied: bool
    awarded: bool
    program_credential_id: uuid.UUID | None
    awarded_at: datetime | None
    needs_review: bool
    review_reason: str | None
