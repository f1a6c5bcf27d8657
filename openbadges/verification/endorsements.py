"""The ``endorsements`` check: every embedded endorsement is verified like a credential.

OB 3.0 verification step 6: each ``endorsement`` (an EndorsementCredential with an embedded
proof) and each ``endorsementJwt`` (a VC-JWT) found anywhere in the credential — on the
credential, its issuer, its achievement, the achievement's creator — is verified with
``expected="endorsement"``: structure, schema, proof, key binding, status and dates. The check
is omitted when there are none.

Policy: an endorsement that fails a check makes this check ``invalid`` (a credential should not
carry a forged or expired endorsement); one that could only not be checked makes it
``unknown``, which is shown but does not withhold the credential's own verdict. An endorsement
must also be *about* what carries it: its ``credentialSubject.id`` must be the ``id`` of the
object holding it or of an object inside that one (a credential's endorsement may be about the
credential, its achievement or its profiles; an achievement's about the achievement). A genuine
endorsement of something else, copied in, endorses nothing here and is ``invalid``.

Specs:
    https://www.imsglobal.org/spec/ob/v3p0/#verification (step 6)
    https://www.imsglobal.org/spec/ob/v3p0/#endorsementcredential
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from openbadges.jsonld.limits import Trail
from openbadges.verification.nodes import dotted_path, subjects_of
from openbadges.verification.report import BLOCKING_WHEN_UNKNOWN, Check, VerificationReport
from openbadges.verification.structure import Expected

__all__ = ["check_endorsements", "find_endorsements"]

_OWN_VERIFICATION = frozenset({"proof", "verifiableCredential"})
"""Members not searched: proofs, and a CLR's included credentials, whose endorsements are
checked when each included credential is verified on its own."""

_NOT_ENDORSABLE_HERE = frozenset({"proof", "endorsement", "endorsementJwt"})
"""Members whose ids an endorsement cannot be about: proofs and other endorsements (a CLR's
included credentials do count: they are inside the record)."""

NestedVerifier = Callable[["dict[str, Any] | str", Expected], VerificationReport]


def find_endorsements(credential: dict[str, Any]) -> list[tuple[str, dict[str, Any] | str]]:
    """Return ``(json path, endorsement)`` for every endorsement held by the credential.

    Endorsements nested inside an endorsement, or inside a credential a CLR includes, are left
    to that document's own verification.
    """
    return list(_walk(credential))


def check_endorsements(credential: dict[str, Any], verify_nested: NestedVerifier) -> Check | None:
    """Run the ``endorsements`` check, or return ``None`` when there are no endorsements."""
    found = find_endorsements(credential)
    if not found:
        return None
    failures: list[str] = []
    unknowns: list[str] = []
    for path, endorsement, holder in _walk_with_holders(credential):
        report = verify_nested(endorsement, "endorsement")
        bad = [c for c in report.checks if c.status == "invalid"]
        stray = _stray_subjects(report.credential, holder)
        if stray and not bad:
            failures.append(
                f"The endorsement at {path} endorses {', '.join(stray)}, which is "
                "not the object that carries it nor anything inside that object."
            )
            continue
        unsure = [
            c for c in report.checks if c.status == "unknown" and c.id in BLOCKING_WHEN_UNKNOWN
        ]
        if bad:
            failures.append(f"The endorsement at {path} failed ({_summary(bad)}).")
        elif unsure or not report.verified:
            unknowns.append(
                f"The endorsement at {path} could not be fully checked ({_summary(unsure)})."
            )
    count = len(found)
    if failures:
        return Check.make("endorsements", "invalid", " ".join(failures + unknowns))
    if unknowns:
        return Check.make("endorsements", "unknown", " ".join(unknowns))
    noun = "endorsement" if count == 1 else "endorsements"
    return Check.make("endorsements", "valid", f"{count} {noun} verified.")


def _summary(checks: list[Check]) -> str:
    return "; ".join(f"{c.title}: {c.detail}" for c in checks[:3]) or "no detail"


def _walk(node: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any] | str]]:
    for found_path, endorsement, _holder in _walk_with_holders(node, path):
        yield found_path, endorsement


def _walk_with_holders(
    node: Any, path: str = "$"
) -> Iterator[tuple[str, dict[str, Any] | str, dict[str, Any]]]:
    """Yield ``(path, endorsement, the object whose endorsement member holds it)``."""
    stack: list[tuple[Any, Trail]] = [(node, None)]
    found: list[tuple[str, dict[str, Any] | str, dict[str, Any]]] = []
    while stack:
        current, here = stack.pop()
        if isinstance(current, list):
            stack.extend(
                (item, (here, i)) for i, item in enumerate(current) if isinstance(item, dict | list)
            )
        elif isinstance(current, dict):
            for member, value in current.items():
                if member == "endorsement":
                    child = dotted_path(path, (here, member))
                    found.extend((p, e, current) for p, e in _items(value, child, dict))
                elif member == "endorsementJwt":
                    child = dotted_path(path, (here, member))
                    found.extend((p, e, current) for p, e in _items(value, child, str))
                elif member not in _OWN_VERIFICATION and isinstance(value, dict | list):
                    stack.append((value, (here, member)))
    yield from sorted(found, key=lambda item: item[0])


def _stray_subjects(endorsement: dict[str, Any] | None, holder: dict[str, Any]) -> list[str]:
    """Return the endorsed ids that are neither the holder's id nor an id inside the holder."""
    if endorsement is None:
        return []
    endorsed = [s.get("id") for s in subjects_of(endorsement) if isinstance(s, dict)]
    wanted = [i for i in endorsed if isinstance(i, str)]
    if not wanted:
        return []
    known = _ids_within(holder)
    return [i for i in wanted if i not in known]


def _ids_within(holder: dict[str, Any]) -> set[str]:
    ids: set[str] = set()
    stack: list[Any] = [holder]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(current)
        elif isinstance(current, dict):
            if isinstance(current.get("id"), str):
                ids.add(current["id"])
            stack.extend(
                value for member, value in current.items() if member not in _NOT_ENDORSABLE_HERE
            )
    return ids


def _items(value: Any, path: str, kind: type) -> list[tuple[str, Any]]:
    if isinstance(value, list):
        return [(f"{path}[{i}]", v) for i, v in enumerate(value) if isinstance(v, kind)]
    return [(path, value)] if isinstance(value, kind) else []
