"""Pydantic v2 models of Open Badges 3.0, CLR 2.0 and the W3C status list credential.

Import as a namespace (``from openbadges import model as ob``). JSON names are the spec's
camelCase names; Python code may use snake_case names when building models. Serialise with
:func:`to_json` (no nulls, no empty arrays, as OB 3.0 §A.1 requires); read foreign JSON with
:func:`validate_credential` (strict OB 3.0), :func:`parse_credential` (also VC 1.1) or
:func:`parse_document` (any credential class, chosen from ``type``).

Extra-property policy: classes with the spec's ``Extensions`` mixin (credentials, Profile,
Achievement, Result, …) keep unknown properties; AchievementSubject, IdentityObject, Image and
CredentialSchema refuse them. Undefined JSON-LD terms are refused at signing time by
:mod:`openbadges.jsonld.safe`, not here.
"""

from __future__ import annotations

from openbadges.model.achievement import (
    Achievement,
    Alignment,
    Criteria,
    Related,
    ResultDescription,
    RubricCriterionLevel,
)
from openbadges.model.clr import Association, ClrCredential, ClrSubject
from openbadges.model.common import (
    Date,
    DateTime,
    DateTimeZ,
    Image,
    OBModel,
    Uri,
    as_datetime,
    type_list,
)
from openbadges.model.credential import AchievementCredential, Evidence, OpenBadgeCredential
from openbadges.model.enums import (
    AchievementType,
    AlignmentTargetType,
    AssociationType,
    IdentifierType,
    ResultStatusType,
    ResultType,
)
from openbadges.model.parsing import (
    AnyCredential,
    parse_credential,
    parse_document,
    to_json,
    validate_credential,
    validate_model,
)
from openbadges.model.profile import Address, GeoCoordinates, IdentifierEntry
from openbadges.model.proof import AnyProof, DataIntegrityProof, Proof
from openbadges.model.status import (
    BitstringStatusListEntry,
    CredentialStatus,
    CredentialStatusEntry,
    OneEdTechRevocationListEntry,
    StatusMessage,
)
from openbadges.model.status_credential import BitstringStatusList, BitstringStatusListCredential
from openbadges.model.subject import (
    AchievementSubject,
    IdentityObject,
    Result,
    hash_identity,
    identity_matches,
)
from openbadges.model.vc import (
    CLR_CONTEXT,
    OB_CONTEXT,
    OB_EXTENSIONS_CONTEXT,
    VC_V1_CONTEXT,
    VC_V2_CONTEXT,
    CredentialSchema,
    EndorsementCredential,
    EndorsementSubject,
    Profile,
    RefreshService,
    TermsOfUse,
    VerifiableCredential,
)

__all__ = [
    "CLR_CONTEXT",
    "OB_CONTEXT",
    "OB_EXTENSIONS_CONTEXT",
    "VC_V1_CONTEXT",
    "VC_V2_CONTEXT",
    "Achievement",
    "AchievementCredential",
    "AchievementSubject",
    "AchievementType",
    "Address",
    "Alignment",
    "AlignmentTargetType",
    "AnyCredential",
    "AnyProof",
    "Association",
    "AssociationType",
    "BitstringStatusList",
    "BitstringStatusListCredential",
    "BitstringStatusListEntry",
    "ClrCredential",
    "ClrSubject",
    "CredentialSchema",
    "CredentialStatus",
    "CredentialStatusEntry",
    "Criteria",
    "DataIntegrityProof",
    "Date",
    "DateTime",
    "DateTimeZ",
    "EndorsementCredential",
    "EndorsementSubject",
    "Evidence",
    "GeoCoordinates",
    "IdentifierEntry",
    "IdentifierType",
    "IdentityObject",
    "Image",
    "OBModel",
    "OneEdTechRevocationListEntry",
    "OpenBadgeCredential",
    "Profile",
    "Proof",
    "RefreshService",
    "Related",
    "Result",
    "ResultDescription",
    "ResultStatusType",
    "ResultType",
    "RubricCriterionLevel",
    "StatusMessage",
    "TermsOfUse",
    "Uri",
    "VerifiableCredential",
    "as_datetime",
    "hash_identity",
    "identity_matches",
    "parse_credential",
    "parse_document",
    "to_json",
    "type_list",
    "validate_credential",
    "validate_model",
]
