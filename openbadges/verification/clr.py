"""The CLR 2.0 rules of the ``structure`` check: contexts, the ClrSubject and its associations.

A ``ClrCredential`` bundles AchievementCredentials (``credentialSubject.verifiableCredential``,
1..*, each with its own proof, verified by :mod:`openbadges.verification.included`), the
definitions of the achievements involved (``credentialSubject.achievement``) and how they relate
(``credentialSubject.association``: ``sourceId`` / ``targetId`` are Achievement ids). An
association is only meaningful when both ends are achievements of this record, so a reference to
an achievement that is neither listed in ``achievement`` nor asserted by an included credential
makes the structure ``invalid``.

The CLR context defines only ``ClrCredential``, ``ClrSubject`` and ``Association``; ``Profile``,
``Achievement`` and the rest come from the Open Badges 3.0 context, so both are required.

Specs:
    https://www.imsglobal.org/spec/clr/v2p0/#clrcredential
    https://www.imsglobal.org/spec/clr/v2p0/#clrsubject
    https://www.imsglobal.org/spec/clr/v2p0/#association
    https://www.imsglobal.org/spec/clr/v2p0/#associationtype-enumeration
"""

from __future__ import annotations

import re
from typing import Any

from openbadges.model import AssociationType
from openbadges.verification.nodes import subjects_of

__all__ = [
    "CLR_CONTEXT",
    "bundle_achievement_ids",
    "clr_context_problems",
    "clr_subject_problems",
    "included_credentials",
]

CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
_CLR_CONTEXT_RE = re.compile(
    r"^https://purl\.imsglobal\.org/spec/clr/v2p0/context(-2\.\d\.\d)?\.json$"
)
_ASSOCIATION_TYPES = frozenset(t.value for t in AssociationType)
_PATH = "$.credentialSubject"


def clr_context_problems(contexts: list[Any]) -> tuple[list[str], list[str]]:
    """Return (problems, warnings) about the CLR context in ``@context``."""
    clr = [c for c in contexts if isinstance(c, str) and _CLR_CONTEXT_RE.match(c)]
    if not clr:
        return [f"The @context does not include the CLR 2.0 context ({CLR_CONTEXT})."], []
    if CLR_CONTEXT not in clr:
        return [], [f"It uses an older CLR context ({clr[0]}) instead of {CLR_CONTEXT}."]
    return [], []


def included_credentials(credential: dict[str, Any]) -> list[Any]:
    """Return the items of ``credentialSubject.verifiableCredential`` (of the first subject)."""
    subject = subjects_of(credential)[0]
    value = subject.get("verifiableCredential") if isinstance(subject, dict) else None
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def bundle_achievement_ids(subject: dict[str, Any]) -> set[str]:
    """Return the ids of every achievement in the record.

    Those listed in ``achievement`` and those asserted by the included credentials.
    """
    found = _ids(subject.get("achievement"))
    items = subject.get("verifiableCredential")
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, dict):
            for inner in subjects_of(item):
                if isinstance(inner, dict):
                    found |= _ids(inner.get("achievement"))
    return found


def clr_subject_problems(subject: dict[str, Any]) -> list[str]:
    """Return the problems of a ClrSubject: its credentials and its associations."""
    problems = _credential_list_problems(subject.get("verifiableCredential"))
    known = bundle_achievement_ids(subject)
    associations = subject.get("association")
    items = associations if isinstance(associations, list) else [associations]
    many = isinstance(associations, list)
    for i, item in enumerate(items):
        if item is None and not many:
            continue
        path = f"{_PATH}.association[{i}]" if many else f"{_PATH}.association"
        problems.extend(_association_problems(item, path, known))
    return problems


def _credential_list_problems(value: object) -> list[str]:
    if value is None or value == []:
        return [
            "The ClrSubject includes no credentials: verifiableCredential must list at least "
            "one AchievementCredential."
        ]
    items = value if isinstance(value, list) else [value]
    return [
        f"{_PATH}.verifiableCredential[{i}] is not a credential object."
        for i, item in enumerate(items)
        if not isinstance(item, dict)
    ]


def _association_problems(item: object, path: str, known: set[str]) -> list[str]:
    if not isinstance(item, dict):
        return [f"{path} is not an Association object."]
    problems = []
    kind = item.get("associationType")
    if kind not in _ASSOCIATION_TYPES:
        problems.append(
            f"{path}.associationType is {kind!r}, not one of {', '.join(sorted(_ASSOCIATION_TYPES))}."
        )
    for end in ("sourceId", "targetId"):
        ref = item.get(end)
        if not isinstance(ref, str) or not ref:
            problems.append(f"{path}.{end} is missing.")
        elif ref not in known:
            problems.append(
                f"{path}.{end} refers to the achievement {ref}, which is not part of this "
                "record (it is neither listed in credentialSubject.achievement nor awarded by "
                "an included credential)."
            )
    return problems


def _ids(value: object) -> set[str]:
    items = value if isinstance(value, list) else [value]
    return {i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)}
