"""Build the unsigned OpenBadgeCredential from already-validated parts (pure, no I/O).

Only terms defined by the VC 2.0 and OB 3.0.3 contexts go in: an undefined term would drop out
of the RDF canonical form and so out of the signature. The learner's display name has no place
in ``credentialSubject`` (no extension point in OB 3.0), so it is kept in the database only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openbadges.model import hash_identity
from openbadges.status_list import status_entry

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CREDENTIAL_TYPES = ["VerifiableCredential", "OpenBadgeCredential"]


@dataclass(frozen=True, slots=True)
class StatusSlot:
    """A credential's slot in one status list."""

    purpose: str
    list_url: str
    index: int


@dataclass(frozen=True, slots=True)
class CredentialParts:
    """Everything the credential says, already validated by the service."""

    credential_url: str
    issuer_profile: dict[str, Any]
    achievement: dict[str, Any]
    valid_from: datetime
    status: Sequence[StatusSlot]
    valid_until: datetime | None = None
    recipient_did: str | None = None
    recipient_email: str | None = None
    identity_salt: str | None = None
    results: Sequence[dict[str, Any]] = ()
    evidence: Sequence[dict[str, Any]] = ()
    subject_extras: dict[str, Any] = field(default_factory=dict)


def xsd_datetime(value: datetime) -> str:
    """``2026-01-01T00:00:00Z``: UTC, seconds precision, ``Z`` (OB DateTimeZ)."""
    return value.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _identifier(email: str, salt: str) -> dict[str, Any]:
    """A salted, hashed email IdentityObject."""
    return {
        "type": "IdentityObject",
        "identityHash": hash_identity(email, salt),
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def _subject(parts: CredentialParts) -> dict[str, Any]:
    """The AchievementSubject: DID and/or hashed email, the achievement, results."""
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if parts.recipient_did:
        subject["id"] = parts.recipient_did
    if parts.recipient_email and parts.identity_salt:
        subject["identifier"] = [_identifier(parts.recipient_email, parts.identity_salt)]
    subject["achievement"] = parts.achievement
    if parts.results:
        subject["result"] = [{"type": ["Result"], **r} for r in parts.results]
    subject.update(parts.subject_extras)
    return subject


def assemble_credential(parts: CredentialParts) -> dict[str, Any]:
    """The unsigned credential, in a stable member order."""
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": parts.credential_url,
        "type": list(CREDENTIAL_TYPES),
        "issuer": parts.issuer_profile,
        "validFrom": xsd_datetime(parts.valid_from),
    }
    if parts.valid_until is not None:
        credential["validUntil"] = xsd_datetime(parts.valid_until)
    credential["name"] = parts.achievement["name"]
    credential["credentialSubject"] = _subject(parts)
    if parts.evidence:
        credential["evidence"] = [{"type": ["Evidence"], **e} for e in parts.evidence]
    entries = [status_entry(slot.list_url, slot.index, slot.purpose) for slot in parts.status]
    # OB 3.0: credentialStatus [0..1], one object in its JSON Schema. Several (revocation and
    # suspension, an issuer's choice) are VC 2.0 but outside that schema: an array then.
    if len(entries) == 1:
        credential["credentialStatus"] = entries[0]
    elif entries:
        credential["credentialStatus"] = entries
    return credential
