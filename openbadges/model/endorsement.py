"""Endorsements: third-party claims about a profile, achievement or credential.

OB 3.0 §B.1 ``EndorsementCredential`` (https://www.imsglobal.org/spec/ob/v3p0/#endorsementcredential).
"""

from __future__ import annotations

from typing import Any, ClassVar

from openbadges.model.common import DateTimeZ, TypedModel, TypeValue, Uri, type_field
from openbadges.model.vc import (
    OB_CONTEXT,
    OB_CONTEXT_PATTERN,
    VC_V2_CONTEXT,
    VerifiableCredential,
    context_field,
)

__all__ = ["EndorsementCredential", "EndorsementSubject"]


class EndorsementSubject(TypedModel):
    """The endorsed thing (by ``id``) and the endorser's Markdown comment."""

    REQUIRED_TYPES = (("EndorsementSubject",),)

    id: Uri
    type: TypeValue = type_field("EndorsementSubject")
    endorsement_comment: str | None = None


class EndorsementCredential(VerifiableCredential):
    """A signed endorsement; verified like an OpenBadgeCredential.

    Required beyond the VC envelope: ``id``, ``name``, ``validFrom`` and the OB context.
    """

    REQUIRED_TYPES = (("VerifiableCredential",), ("EndorsementCredential",))
    REQUIRED_CONTEXTS: ClassVar[tuple[str, ...]] = (OB_CONTEXT_PATTERN,)

    context: list[str | dict[str, Any]] = context_field(VC_V2_CONTEXT, OB_CONTEXT)
    id: Uri
    type: TypeValue = type_field("VerifiableCredential", "EndorsementCredential")
    name: str
    valid_from: DateTimeZ
    credential_subject: EndorsementSubject
