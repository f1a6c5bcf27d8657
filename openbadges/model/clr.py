"""Comprehensive Learner Record 2.0: a bundle of achievement credentials and their links.

CLR 2.0 ``ClrCredential``, ``ClrSubject``, ``Association``
(https://www.imsglobal.org/spec/clr/v2p0/). Used here for stackable micro-credentials: each
module is its own AchievementCredential, the program is an Achievement, and associations say
which module belongs to which program.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, StrictBool

from openbadges.model.achievement import Achievement
from openbadges.model.common import DateTimeZ, TypedModel, TypeValue, Uri, type_field
from openbadges.model.credential import AchievementCredential
from openbadges.model.enums import AssociationTypeValue
from openbadges.model.subject import IdentityObject
from openbadges.model.vc import (
    CLR_CONTEXT,
    CLR_CONTEXT_PATTERN,
    OB_CONTEXT,
    VC_V2_CONTEXT,
    EndorsementCredential,
    VerifiableCredential,
    context_field,
)

__all__ = ["Association", "ClrCredential", "ClrSubject"]


class Association(TypedModel):
    """A relation between two achievements, by their ids (e.g. module ``isChildOf`` program)."""

    REQUIRED_TYPES = (("Association",),)

    type: TypeValue = "Association"
    association_type: AssociationTypeValue
    source_id: Uri
    target_id: Uri


class ClrSubject(TypedModel):
    """The learner and the credentials the record bundles (each keeps its own proof)."""

    REQUIRED_TYPES = (("ClrSubject",),)

    id: Uri | None = None
    type: TypeValue = "ClrSubject"
    identifier: list[IdentityObject] | None = None
    achievement: list[Achievement] | None = None
    verifiable_credential: list[AchievementCredential] = Field(min_length=1)
    association: list[Association] | None = None


class ClrCredential(VerifiableCredential):
    """A signed Comprehensive Learner Record."""

    REQUIRED_TYPES = (("VerifiableCredential",), ("ClrCredential",))
    REQUIRED_CONTEXTS: ClassVar[tuple[str, ...]] = (CLR_CONTEXT_PATTERN,)

    context: list[str | dict[str, Any]] = context_field(VC_V2_CONTEXT, CLR_CONTEXT, OB_CONTEXT)
    id: Uri
    type: TypeValue = type_field("VerifiableCredential", "ClrCredential")
    name: str
    valid_from: DateTimeZ
    partial: StrictBool | None = None
    credential_subject: ClrSubject
    endorsement: list[EndorsementCredential] | None = None
    endorsement_jwt: list[str] | None = None
