"""Assemble an unsigned CLR 2.0 ClrCredential for one learner and one program (pure).

The CLR bundles the learner's module and program credentials *exactly as stored*: each keeps its
own proof, so a verifier can check every award independently of the transcript's signature (CLR
2.0 §ClrSubject.verifiableCredential). The transcript adds what single badges cannot say: the
list of achievement definitions and how they stack (``association``: each module ``isChildOf``
the program, per the CASE association vocabulary CLR reuses).

Shape follows the 1EdTech CLR test vector (``ob_v3p0/impl/linked-data-proof-clr``), moved to the
VC 2.0 context and the current OB/CLR context files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

CLR_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
]
CLR_SCHEMA = {
    "id": "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json",
    "type": "1EdTechJsonSchemaValidator2019",
}


def embedded_achievement(credential: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the Achievement a stored AchievementCredential asserts, if it has one."""
    subject = credential.get("credentialSubject")
    if isinstance(subject, Mapping):
        achievement = subject.get("achievement")
        if isinstance(achievement, dict) and isinstance(achievement.get("id"), str):
            return achievement
    return None


def collect_achievements(
    credentials: Sequence[Mapping[str, Any]], extra: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """Return the distinct achievement definitions (by id): first the credentials', then ``extra``.

    The program's own definition comes in ``extra`` so the transcript names the goal even before
    the program credential exists (a ``partial`` record).
    """
    seen: dict[str, dict[str, Any]] = {}
    for candidate in [embedded_achievement(c) for c in credentials] + [dict(e) for e in extra]:
        if candidate is not None and candidate["id"] not in seen:
            seen[candidate["id"]] = candidate
    return list(seen.values())


def associations(
    program_achievement_id: str, module_achievement_ids: Sequence[str]
) -> list[dict[str, str]]:
    """Return one ``isChildOf`` Association per module (source module, target program)."""
    return [
        {
            "type": "Association",
            "associationType": "isChildOf",
            "sourceId": module_id,
            "targetId": program_achievement_id,
        }
        for module_id in module_achievement_ids
    ]


def assemble_clr(
    *,
    credential_id: str,
    issuer: Mapping[str, Any],
    name: str,
    description: str | None,
    valid_from: str,
    subject_id: str | None,
    identifier: Sequence[Mapping[str, Any]],
    credentials: Sequence[Mapping[str, Any]],
    program_achievement: Mapping[str, Any],
    module_achievement_ids: Sequence[str],
    partial: bool,
) -> dict[str, Any]:
    """Build the unsigned ClrCredential.

    Args:
        credential_id: the transcript's own id (``urn:uuid:…``: it is generated per download).
        issuer: the issuing Profile JSON (the program's issuer).
        name: the transcript's display name, in the learner's language.
        description: optional display text.
        valid_from: an XSD date-time with zone (``2026-01-01T00:00:00Z``).
        subject_id: the learner's DID, when known; otherwise ``identifier`` names them.
        identifier: IdentityObjects (e.g. the hashed e-mail) for a learner without a DID.
        credentials: the stored, signed module and program credentials, unchanged.
        program_achievement: the program's Achievement JSON.
        module_achievement_ids: the module Achievement ids (associations are built from these).
        partial: True when the program credential is not (yet) part of the record.

    Returns:
        The ClrCredential JSON, ready for a Data Integrity proof.
    """
    program_id = str(program_achievement["id"])
    subject: dict[str, Any] = {"type": ["ClrSubject"]}
    if subject_id:
        subject["id"] = subject_id
    if identifier:
        subject["identifier"] = [dict(i) for i in identifier]
    subject["verifiableCredential"] = [dict(c) for c in credentials]
    subject["achievement"] = collect_achievements(credentials, [program_achievement])
    subject["association"] = associations(program_id, module_achievement_ids)
    document: dict[str, Any] = {
        "@context": list(CLR_CONTEXT),
        "id": credential_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": dict(issuer),
        "validFrom": valid_from,
        "name": name,
    }
    if description:
        document["description"] = description
    if partial:
        document["partial"] = True
    document["credentialSubject"] = subject
    document["credentialSchema"] = [dict(CLR_SCHEMA)]
    return document
