"""The ``structure`` check: is this the kind of credential the caller expects?

Mirrors the checks 1EdTech's validator runs before any signature (spec-digest §4, "What the
1EdTech validator additionally does"): ``@context`` (VC 2.0 first, or VC 1.1 for legacy
credentials, plus an Open Badges context), ``type``, an issuer object typed ``Profile``, a
subject with ``id`` or ``identifier``, and the ``type`` of every typed sub-object. These rules
are also what the official OB JSON schemas require, which is why those schemas need not be
fetched (see :mod:`openbadges.verification.schema`).

Specs:
    https://www.imsglobal.org/spec/ob/v3p0/#achievementcredential
    https://www.imsglobal.org/spec/ob/v3p0/#verification (step 1, conformance)
    https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistcredential
    https://www.imsglobal.org/spec/clr/v2p0/#clrcredential (``expected="clr"``, rules in
    :mod:`openbadges.verification.clr`)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from openbadges.jsonld.limits import Trail
from openbadges.verification.clr import clr_context_problems, clr_subject_problems
from openbadges.verification.nodes import dotted_path, issuer_id_of, subjects_of, types_of
from openbadges.verification.report import Check

__all__ = [
    "OB_CONTEXT",
    "VC1_CONTEXT",
    "VC2_CONTEXT",
    "Expected",
    "check_structure",
    "issuer_id_of",
    "types_of",
]

Expected = Literal["credential", "clr", "endorsement", "status_list"]
"""What the caller expects: an Open Badge, a CLR 2.0 ClrCredential, an endorsement or a
Bitstring Status List credential."""

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
_OB_CONTEXT_RE = re.compile(
    r"^https://purl\.imsglobal\.org/spec/ob/v3p0/(context(-3\.\d\.\d)?\.json|context/ob_v3p0\.jsonld)$"
)

_CREDENTIAL_TYPES: dict[str, frozenset[str]] = {
    "credential": frozenset({"OpenBadgeCredential", "AchievementCredential"}),
    "clr": frozenset({"ClrCredential"}),
    "endorsement": frozenset({"EndorsementCredential"}),
    "status_list": frozenset({"BitstringStatusListCredential"}),
}
_SUBJECT_TYPES = {
    "credential": "AchievementSubject",
    "clr": "ClrSubject",
    "endorsement": "EndorsementSubject",
    "status_list": "BitstringStatusList",
}

_TYPED_MEMBERS = {
    "achievement": "Achievement",
    "address": "Address",
    "alignment": "Alignment",
    "association": "Association",
    "creator": "Profile",
    "evidence": "Evidence",
    "image": "Image",
    "issuer": "Profile",
    "otherIdentifier": "IdentifierEntry",
    "parentOrg": "Profile",
    "related": "Related",
    "result": "Result",
    "resultDescription": "ResultDescription",
    "rubricCriterionLevel": "RubricCriterionLevel",
    "source": "Profile",
}
"""Member name → the type its object values must carry (OB 3.0 data model). String values are
references (``Result.resultDescription``, ``IdentifierEntry.identifier``) and are not checked."""

_SEPARATELY_CHECKED = frozenset(
    {"proof", "endorsement", "endorsementJwt", "@context", "verifiableCredential"}
)
"""Members verified on their own (proofs, endorsements, a CLR's included credentials)."""

_KIND = {
    "credential": "an Open Badges 3.0 credential",
    "clr": "a CLR 2.0 ClrCredential (Comprehensive Learner Record)",
    "endorsement": "an Open Badges 3.0 endorsement",
    "status_list": "a Bitstring Status List credential",
}


def check_structure(credential: dict[str, Any], expected: Expected) -> Check:
    """Run the ``structure`` check.

    Args:
        credential: the credential JSON.
        expected: what the caller expects (see :data:`Expected`).

    Returns:
        ``invalid`` listing every problem found, else ``valid`` with any warnings.
    """
    problems: list[str] = []
    warnings: list[str] = []
    _check_contexts(credential, expected, problems, warnings)
    _check_type(credential, expected, problems)
    _check_issuer(credential, expected, problems)
    _check_subject(credential, expected, problems)
    _check_required_members(credential, expected, problems)
    problems.extend(_typed_member_problems(credential))
    if problems:
        return Check.make("structure", "invalid", " ".join(problems + warnings))
    detail = f"The credential has the structure of {_KIND[expected]}."
    return Check.make("structure", "valid", " ".join([detail, *warnings]))


def _contexts(credential: dict[str, Any]) -> list[Any]:
    value = credential.get("@context")
    return value if isinstance(value, list) else [value]


def _check_contexts(
    credential: dict[str, Any], expected: Expected, problems: list[str], warnings: list[str]
) -> None:
    contexts = _contexts(credential)
    first = contexts[0] if contexts else None
    if first == VC1_CONTEXT:
        warnings.append(
            "It uses the older VC Data Model 1.1, which Open Badges 3.0 accepts for "
            "verification only; new credentials use VC Data Model 2.0."
        )
    elif first != VC2_CONTEXT:
        problems.append(
            f"The first @context must be {VC2_CONTEXT} (or {VC1_CONTEXT} for older "
            f"credentials), but it is {first!r}."
        )
    if expected == "status_list":
        return
    if expected == "clr":
        clr_problems, clr_warnings = clr_context_problems(contexts)
        problems.extend(clr_problems)
        warnings.extend(clr_warnings)
    ob = [c for c in contexts if isinstance(c, str) and _OB_CONTEXT_RE.match(c)]
    if not ob:
        problems.append("The @context does not include an Open Badges 3.0 context.")
    elif OB_CONTEXT not in ob:
        warnings.append(f"It uses an older Open Badges context ({ob[0]}) instead of {OB_CONTEXT}.")


def _check_type(credential: dict[str, Any], expected: Expected, problems: list[str]) -> None:
    types = types_of(credential)
    wanted = _CREDENTIAL_TYPES[expected]
    if "VerifiableCredential" not in types:
        problems.append("The type does not include VerifiableCredential.")
    if not types & wanted:
        names = " or ".join(sorted(wanted))
        found = ", ".join(sorted(types)) or "nothing"
        problems.append(f"The type must include {names}, but it lists {found}.")


def _check_issuer(credential: dict[str, Any], expected: Expected, problems: list[str]) -> None:
    issuer = credential.get("issuer")
    if expected == "status_list":
        if issuer_id_of(credential) is None:
            problems.append("The status list names no issuer.")
        return
    if not isinstance(issuer, dict):
        problems.append(
            "The issuer must be a Profile object with an id and type"
            + (" (it is missing)." if issuer is None else ", not a bare identifier.")
        )
        return
    if not isinstance(issuer.get("id"), str) or not issuer["id"]:
        problems.append("The issuer has no id.")


def _check_subject(credential: dict[str, Any], expected: Expected, problems: list[str]) -> None:
    subjects = subjects_of(credential)
    if not subjects or not all(isinstance(s, dict) for s in subjects):
        problems.append("The credentialSubject is missing or is not an object.")
        return
    wanted = _SUBJECT_TYPES[expected]
    for subject in subjects:
        if wanted not in types_of(subject):
            problems.append(f"The credentialSubject type must include {wanted}.")
        problems.extend(_subject_content_problems(subject, expected))


def _subject_content_problems(subject: dict[str, Any], expected: Expected) -> list[str]:
    if expected == "credential":
        found = []
        if not subject.get("id") and not subject.get("identifier"):
            found.append("The credentialSubject has neither an id nor an identifier.")
        if not isinstance(subject.get("achievement"), dict):
            found.append("The credentialSubject has no achievement.")
        found.extend(_identity_object_problems(subject.get("identifier")))
        return found
    if expected == "clr":
        return clr_subject_problems(subject) + _identity_object_problems(subject.get("identifier"))
    if expected == "endorsement":
        return [] if subject.get("id") else ["The endorsement subject has no id."]
    missing = [m for m in ("encodedList", "statusPurpose") if not subject.get(m)]
    return [f"The status list subject has no {m}." for m in missing]


def _identity_object_problems(identifiers: object) -> list[str]:
    """``identifier`` is typed only on a subject (elsewhere it is an IdentifierEntry string)."""
    items = identifiers if isinstance(identifiers, list) else [identifiers]
    return [
        f"$.credentialSubject.identifier[{i}] must have type IdentityObject."
        for i, item in enumerate(items)
        if isinstance(item, dict) and "IdentityObject" not in types_of(item)
    ]


def _check_required_members(
    credential: dict[str, Any], expected: Expected, problems: list[str]
) -> None:
    if expected != "status_list" and not isinstance(credential.get("id"), str):
        problems.append("The credential has no id.")
    legacy = _contexts(credential)[:1] == [VC1_CONTEXT]
    start = "issuanceDate" if legacy else "validFrom"
    if expected != "status_list" and not credential.get(start):
        problems.append(f"The credential has no {start}.")
    if expected in ("endorsement", "clr") and not credential.get("name"):
        problems.append(f"The {'endorsement' if expected == 'endorsement' else 'CLR'} has no name.")


def _typed_member_problems(credential: dict[str, Any]) -> Iterator[str]:
    for path, member, node in _walk(credential, "$"):
        wanted = _TYPED_MEMBERS[member]
        if wanted not in types_of(node):
            found = ", ".join(sorted(types_of(node))) or "no type"
            yield f"{path} must have type {wanted}, but has {found}."


def _walk(node: Any, path: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield (path, member name, object) for every object held by a typed member.

    Iterative, with the structure already bounded in depth by the format check; only objects
    and arrays are walked, and a path is written only for what is yielded.
    """
    stack: list[tuple[Any, Trail]] = [(node, None)]
    while stack:
        current, here = stack.pop()
        if isinstance(current, list):
            stack.extend(
                (item, (here, i)) for i, item in enumerate(current) if isinstance(item, dict | list)
            )
            continue
        if not isinstance(current, dict):
            continue
        for member, value in current.items():
            if member in _SEPARATELY_CHECKED or not isinstance(value, dict | list):
                continue
            child = (here, member)
            if member in _TYPED_MEMBERS:
                for i, item in enumerate(value if isinstance(value, list) else [value]):
                    if isinstance(item, dict):
                        where = (child, i) if isinstance(value, list) else child
                        yield dotted_path(path, where), member, item
            stack.append((value, child))
