"""The Open Badges credential: AchievementCredential (a.k.a. OpenBadgeCredential) and Evidence.

OB 3.0 §B.1 ``AchievementCredential``
(https://www.imsglobal.org/spec/ob/v3p0/#achievementcredential). ``OpenBadgeCredential`` and
``AchievementCredential`` are the same class (the OB context aliases one to the other).
"""

from __future__ import annotations

from typing import Any, ClassVar

from openbadges.model.common import DateTimeZ, TypedModel, TypeValue, Uri, type_field
from openbadges.model.subject import AchievementSubject
from openbadges.model.vc import (
    OB_CONTEXT,
    OB_CONTEXT_PATTERN,
    VC_V2_CONTEXT,
    EndorsementCredential,
    VerifiableCredential,
    context_field,
)

__all__ = ["AchievementCredential", "Evidence", "OpenBadgeCredential"]


class Evidence(TypedModel):
    """Work that supports the award: a URL or ``data:`` URI and/or a description."""

    REQUIRED_TYPES = (("Evidence",),)

    id: Uri | None = None
    type: TypeValue = type_field("Evidence")
    narrative: str | None = None
    name: str | None = None
    description: str | None = None
    genre: str | None = None
    audience: str | None = None


class AchievementCredential(VerifiableCredential):
    """An Open Badges 3.0 credential: one recipient, one achievement.

    ``validFrom`` is required here (OB makes it mandatory though VC 2.0 does not). Build one
    with Python names (``valid_from=…``, ``credential_subject=…``); read one from JSON with
    :func:`openbadges.model.validate_credential` or :func:`openbadges.model.parse_credential`.
    """

    REQUIRED_TYPES = (
        ("VerifiableCredential",),
        ("OpenBadgeCredential", "AchievementCredential"),
    )
    REQUIRED_CONTEXTS: ClassVar[tuple[str, ...]] = (OB_CONTEXT_PATTERN,)

    context: list[str | dict[str, Any]] = context_field(VC_V2_CONTEXT, OB_CONTEXT)
    id: Uri
    type: TypeValue = type_field("VerifiableCredential", "OpenBadgeCredential")
    valid_from: DateTimeZ
    awarded_date: DateTimeZ | None = None
    credential_subject: AchievementSubject
    endorsement: list[EndorsementCredential] | None = None
    endorsement_jwt: list[str] | None = None
    evidence: list[Evidence] | None = None


OpenBadgeCredential = AchievementCredential
"""The name most issuers put in ``type``; the same class."""
