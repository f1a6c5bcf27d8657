"""OB 3.0 / CLR 2.0 vocabularies.

The ``EnumExt`` vocabularies of ``common_credentials.lines`` (AchievementType, ResultType,
IdentifierTypeEnum, AlignmentTargetType) also accept extension terms ``ext:<name>``; the plain
``Enumeration`` ones (ResultStatusType, CLR's AssociationType) do not, so a typo there is an
error rather than a silent extension.

Fields are typed with the ``*Value`` aliases (strings validated against the vocabulary) so that a
credential from another issuer round-trips unchanged; the :class:`~enum.StrEnum` classes are for
code that builds credentials (``AchievementType.MICRO_CREDENTIAL``).
See https://www.imsglobal.org/spec/ob/v3p0/#enumerated-vocabularies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator

__all__ = [
    "EXTENSION_TERM",
    "AchievementType",
    "AchievementTypeValue",
    "AlignmentTargetType",
    "AlignmentTargetTypeValue",
    "AssociationType",
    "AssociationTypeValue",
    "IdentifierType",
    "IdentifierTypeValue",
    "ResultStatusType",
    "ResultStatusTypeValue",
    "ResultType",
    "ResultTypeValue",
]

EXTENSION_TERM = re.compile(r"^ext:[A-Za-z0-9._-]+$")
"""An extension term of an extensible vocabulary (``ext:Nanodegree``)."""


class AchievementType(StrEnum):
    """``AchievementType`` (EnumExt)."""

    ACHIEVEMENT = "Achievement"
    APPRENTICESHIP_CERTIFICATE = "ApprenticeshipCertificate"
    ASSESSMENT = "Assessment"
    ASSIGNMENT = "Assignment"
    ASSOCIATE_DEGREE = "AssociateDegree"
    AWARD = "Award"
    BADGE = "Badge"
    BACHELOR_DEGREE = "BachelorDegree"
    CERTIFICATE = "Certificate"
    CERTIFICATE_OF_COMPLETION = "CertificateOfCompletion"
    CERTIFICATION = "Certification"
    COMMUNITY_SERVICE = "CommunityService"
    COMPETENCY = "Competency"
    COURSE = "Course"
    CO_CURRICULAR = "CoCurricular"
    DEGREE = "Degree"
    DIPLOMA = "Diploma"
    DOCTORAL_DEGREE = "DoctoralDegree"
    FIELDWORK = "Fieldwork"
    GENERAL_EDUCATION_DEVELOPMENT = "GeneralEducationDevelopment"
    JOURNEYMAN_CERTIFICATE = "JourneymanCertificate"
    LEARNING_PROGRAM = "LearningProgram"
    LICENSE = "License"
    MEMBERSHIP = "Membership"
    PROFESSIONAL_DOCTORATE = "ProfessionalDoctorate"
    QUALITY_ASSURANCE_CREDENTIAL = "QualityAssuranceCredential"
    MASTER_CERTIFICATE = "MasterCertificate"
    MASTER_DEGREE = "MasterDegree"
    MICRO_CREDENTIAL = "MicroCredential"
    RESEARCH_DOCTORATE = "ResearchDoctorate"
    SECONDARY_SCHOOL_DIPLOMA = "SecondarySchoolDiploma"


class ResultType(StrEnum):
    """``ResultType`` (EnumExt)."""

    GRADE_POINT_AVERAGE = "GradePointAverage"
    LETTER_GRADE = "LetterGrade"
    PERCENT = "Percent"
    PERFORMANCE_LEVEL = "PerformanceLevel"
    PREDICTED_SCORE = "PredictedScore"
    RAW_SCORE = "RawScore"
    RESULT = "Result"
    RUBRIC_CRITERION = "RubricCriterion"
    RUBRIC_CRITERION_LEVEL = "RubricCriterionLevel"
    RUBRIC_SCORE = "RubricScore"
    SCALED_SCORE = "ScaledScore"
    STATUS = "Status"


class ResultStatusType(StrEnum):
    """``ResultStatusType`` (closed Enumeration; ``Provisional`` was added in OB 3.0 v1.2)."""

    COMPLETED = "Completed"
    ENROLLED = "Enrolled"
    FAILED = "Failed"
    IN_PROGRESS = "InProgress"
    ON_HOLD = "OnHold"
    PROVISIONAL = "Provisional"
    WITHDREW = "Withdrew"


class IdentifierType(StrEnum):
    """``IdentifierTypeEnum`` (EnumExt), for ``IdentityObject`` and ``IdentifierEntry``."""

    NAME = "name"
    SOURCED_ID = "sourcedId"
    SYSTEM_ID = "systemId"
    PRODUCT_ID = "productId"
    USER_NAME = "userName"
    ACCOUNT_ID = "accountId"
    EMAIL_ADDRESS = "emailAddress"
    NATIONAL_IDENTITY_NUMBER = "nationalIdentityNumber"
    ISBN = "isbn"
    ISSN = "issn"
    LIS_SOURCED_ID = "lisSourcedId"
    ONE_ROSTER_SOURCED_ID = "oneRosterSourcedId"
    SIS_SOURCED_ID = "sisSourcedId"
    LTI_CONTEXT_ID = "ltiContextId"
    LTI_DEPLOYMENT_ID = "ltiDeploymentId"
    LTI_TOOL_ID = "ltiToolId"
    LTI_PLATFORM_ID = "ltiPlatformId"
    LTI_USER_ID = "ltiUserId"
    IDENTIFIER = "identifier"


class AlignmentTargetType(StrEnum):
    """``AlignmentTargetType`` (EnumExt)."""

    CEASN_COMPETENCY = "ceasn:Competency"
    CETERMS_CREDENTIAL = "ceterms:Credential"
    CF_ITEM = "CFItem"
    CF_RUBRIC = "CFRubric"
    CF_RUBRIC_CRITERION = "CFRubricCriterion"
    CF_RUBRIC_CRITERION_LEVEL = "CFRubricCriterionLevel"
    CTDL = "CTDL"


class AssociationType(StrEnum):
    """CLR 2.0 ``AssociationType`` (the CASE association vocabulary, closed)."""

    EXACT_MATCH_OF = "exactMatchOf"
    IS_CHILD_OF = "isChildOf"
    IS_PARENT_OF = "isParentOf"
    IS_PART_OF = "isPartOf"
    IS_PEER_OF = "isPeerOf"
    IS_RELATED_TO = "isRelatedTo"
    PRECEDES = "precedes"
    REPLACED_BY = "replacedBy"


def _vocabulary(enum: type[StrEnum], *, extensible: bool) -> Callable[[object], str]:
    """Build a validator accepting the members of ``enum`` (and ``ext:*`` when extensible)."""
    allowed = {member.value for member in enum}

    def check(value: object) -> str:
        if not isinstance(value, str):
            raise ValueError(f"must be a string from {enum.__name__}")
        text = str(value)
        if text in allowed or (extensible and EXTENSION_TERM.match(text)):
            return text
        hint = " or an extension term ext:Name" if extensible else ""
        raise ValueError(f"{text!r} is not a {enum.__name__} value{hint}")

    return check


AchievementTypeValue = Annotated[
    str, BeforeValidator(_vocabulary(AchievementType, extensible=True))
]
ResultTypeValue = Annotated[str, BeforeValidator(_vocabulary(ResultType, extensible=True))]
IdentifierTypeValue = Annotated[str, BeforeValidator(_vocabulary(IdentifierType, extensible=True))]
AlignmentTargetTypeValue = Annotated[
    str, BeforeValidator(_vocabulary(AlignmentTargetType, extensible=True))
]
ResultStatusTypeValue = Annotated[
    str, BeforeValidator(_vocabulary(ResultStatusType, extensible=False))
]
AssociationTypeValue = Annotated[
    str, BeforeValidator(_vocabulary(AssociationType, extensible=False))
]
