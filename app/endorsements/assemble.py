"""Assemble an unsigned OB 3.0 EndorsementCredential (pure).

An endorsement is a third party's signed statement about an achievement, a profile or one
credential (OB 3.0 §EndorsementCredential). It is a credential of its own: the partner is the
``issuer`` and signs it with the partner's key, so its weight does not depend on trusting the
university that later embeds it in ``Achievement.endorsement``.

``name`` and ``endorsementComment`` are single strings in OB 3.0, so a bilingual endorsement is
one credential per language (the same pattern as translated achievements).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ENDORSEMENT_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",  # 1EdTechJsonSchemaValidator2019
]
ENDORSEMENT_SCHEMA = {
    "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json",
    "type": "1EdTechJsonSchemaValidator2019",
}


def assemble_endorsement(
    *,
    credential_id: str,
    issuer: Mapping[str, Any],
    subject_id: str,
    name: str,
    comment: str | None,
    valid_from: str,
    description: str | None = None,
) -> dict[str, Any]:
    """Build the unsigned EndorsementCredential.

    Args:
        credential_id: the endorsement's id (its public URL).
        issuer: the *partner's* Profile JSON: the endorser, never the endorsed issuer.
        subject_id: the id of what is endorsed (Achievement, Profile or credential id).
        name: a display name in the endorsement's language (required by OB 3.0).
        comment: the endorsement text (Markdown), in the same language.
        valid_from: an XSD date-time with zone.
        description: optional extra display text.

    Returns:
        The EndorsementCredential JSON, ready for a Data Integrity proof.
    """
    subject: dict[str, Any] = {"id": subject_id, "type": ["EndorsementSubject"]}
    if comment:
        subject["endorsementComment"] = comment
    document: dict[str, Any] = {
        "@context": list(ENDORSEMENT_CONTEXT),
        "id": credential_id,
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "issuer": dict(issuer),
        "validFrom": valid_from,
        "name": name,
    }
    if description:
        document["description"] = description
    document["credentialSubject"] = subject
    document["credentialSchema"] = [dict(ENDORSEMENT_SCHEMA)]
    return document
