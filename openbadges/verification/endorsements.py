"""The ``endorsements`` check: every embedded endorsement is verified like a credential.

OB 3.0 verification step 6: each ``endorsement`` (an EndorsementCredential with an embedded
proof) and each ``endorsementJwt`` (a VC-JWT) found anywhere in the credential — on the
credential, its issuer, its achievement, the achievement's creator — is verified with
``expected="endorsement"``: structure, schema, proof, key binding, status and dates. The check
is omitted when there are none.

Policy: an endorsement that fails a check makes this check ``invalid`` (a credential should not
carry a forged or expired endorsement); one that could only not be checked makes it
``unknown``, which is shown but does not withhold the credential's own verdict.

Specs:
    https://www.imsglobal.org/spec/ob/v3p0/#verification (step 6)
    https://www.imsglobal.org/spec/ob/v3p0/#endorsementcredential
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from openbadges.verification.report import BLOCKING_WHEN_UNKNOWN, Check, VerificationReport
from openbadges.verification.structure import Expected

__all__ = ["check_endorsements", "find_endorsements"]

_OWN_VERIFICATION = frozenset({"proof", "verifiableCredential"})
"""Members not searched: proofs, and a CLR's included credentials, whose endorsements are
checked when each included credential is verified on its own."""

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
    for path, endorsement in found:
        report = verify_nested(endorsement, "endorsement")
        bad = [c for c in report.checks if c.status == "invalid"]
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
    stack: list[tuple[Any, str]] = [(node, path)]
    found: list[tuple[str, dict[str, Any] | str]] = []
    while stack:
        current, here = stack.pop()
        if isinstance(current, list):
            stack.extend((item, f"{here}[{i}]") for i, item in enumerate(current))
        elif isinstance(current, dict):
            for member, value in current.items():
                child = f"{here}.{member}"
                if member == "endorsement":
                    found.extend(_items(value, child, dict))
                elif member == "endorsementJwt":
                    found.extend(_items(value, child, str))
                elif member not in _OWN_VERIFICATION:
                    stack.append((value, child))
    yield from sorted(found, key=lambda item: item[0])


def _items(value: Any, path: str, kind: type) -> list[tuple[str, Any]]:
    if isinstance(value, list):
        return [(f"{path}[{i}]", v) for i, v in enumerate(value) if isinstance(v, kind)]
    return [(path, value)] if isinstance(value, kind) else []
