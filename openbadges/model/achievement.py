"""Achievement: what is recognised, and the parts that describe how it is assessed.

OB 3.0 §B.1 ``Achievement``: https://www.imsglobal.org/spec/ob/v3p0/#achievement.
"""

from __future__ import annotations

from openbadges.model.common import (
    Image,
    LanguageCode,
    Number,
    OBModel,
    StrictTypedModel,
    TypedModel,
    TypeValue,
    Uri,
    type_field,
)
from openbadges.model.enums import (
    AchievementTypeValue,
    AlignmentTargetTypeValue,
    ResultTypeValue,
)
from openbadges.model.profile import IdentifierEntry
from openbadges.model.vc import EndorsementCredential, Profile

__all__ = [
    "Achievement",
    "Alignment",
    "Criteria",
    "Related",
    "ResultDescription",
    "RubricCriterionLevel",
]


class Criteria(OBModel):
    """How the achievement is earned: a criteria page (``id``) and/or a Markdown ``narrative``."""

    id: Uri | None = None
    narrative: str | None = None


class Alignment(TypedModel):
    """A link from an achievement or result to a node of an educational framework."""

    REQUIRED_TYPES = (("Alignment",),)

    type: TypeValue = type_field("Alignment")
    target_code: str | None = None
    target_description: str | None = None
    target_name: str
    target_framework: str | None = None
    target_type: AlignmentTargetTypeValue | None = None
    target_url: Uri


class RubricCriterionLevel(TypedModel):
    """One level of a rubric criterion, that a Result may name in ``achievedLevel``."""

    REQUIRED_TYPES = (("RubricCriterionLevel",),)

    id: Uri
    type: TypeValue = type_field("RubricCriterionLevel")
    alignment: list[Alignment] | None = None
    description: str | None = None
    level: str | None = None
    name: str
    points: str | None = None


class ResultDescription(TypedModel):
    """A possible result of the achievement; a Result links to it by ``id``."""

    REQUIRED_TYPES = (("ResultDescription",),)

    id: Uri
    type: TypeValue = type_field("ResultDescription")
    alignment: list[Alignment] | None = None
    allowed_value: list[str] | None = None
    name: str
    required_level: Uri | None = None
    required_value: str | None = None
    result_type: ResultTypeValue
    rubric_criterion_level: list[RubricCriterionLevel] | None = None
    value_max: str | None = None
    value_min: str | None = None


class Related(StrictTypedModel):
    """Another edition of the same achievement, typically a translation (``inLanguage``)."""

    REQUIRED_TYPES = (("Related",),)

    id: Uri
    type: TypeValue = type_field("Related")
    in_language: LanguageCode | None = None
    version: str | None = None


class Achievement(TypedModel):
    """The accomplishment that a credential recognises.

    Required: ``id``, ``type`` ∋ ``Achievement``, ``criteria``, ``description``, ``name``.
    ``name`` and ``description`` are plain strings: a translation is a separate Achievement
    linked through :class:`Related` with its ``inLanguage``.
    """

    REQUIRED_TYPES = (("Achievement",),)

    id: Uri
    type: TypeValue = type_field("Achievement")
    alignment: list[Alignment] | None = None
    achievement_type: AchievementTypeValue | None = None
    creator: Profile | None = None
    credits_available: Number | None = None
    criteria: Criteria
    description: str
    endorsement: list[EndorsementCredential] | None = None
    endorsement_jwt: list[str] | None = None
    field_of_study: str | None = None
    human_code: str | None = None
    image: Image | None = None
    in_language: LanguageCode | None = None
    name: str
    other_identifier: list[IdentifierEntry] | None = None
    related: list[Related] | None = None
    result_description: list[ResultDescription] | None = None
    specialization: str | None = None
    tag: list[str] | None = None
    version: str | None = None
