"""The ``credentials`` check of a CLR: every included credential is verified on its own.

A ``ClrCredential`` carries its learner's credentials unchanged, each with its own proof (CLR 2.0
``ClrSubject.verifiableCredential``, 1..* AchievementCredentials). The CLR's signature only says
that its issuer assembled the record; whether each award is genuine, still stands and is in its
validity period is a question for that credential and its own issuer. So each one is verified by
the same pipeline (``expected="credential"``, the same resolver, clock and key policy) and the
results are kept as :class:`~openbadges.verification.report.IncludedReport` children.

Policy: ``invalid`` when any included credential fails a check (the detail names each by its
position and name, with the checks that failed), else ``unknown`` when any could not be fully
checked — which withholds the CLR's verdict like an unknown signature — else ``valid``. At most
:data:`MAX_INCLUDED` credentials are verified; a larger record is ``unknown``.

Specs:
    https://www.imsglobal.org/spec/clr/v2p0/#clrsubject
    https://www.imsglobal.org/spec/ob/v3p0/#verification
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openbadges.verification.clr import included_credentials
from openbadges.verification.nodes import subjects_of
from openbadges.verification.report import (
    BLOCKING_WHEN_UNKNOWN,
    Check,
    IncludedReport,
    VerificationReport,
)
from openbadges.verification.structure import Expected

__all__ = ["MAX_INCLUDED", "check_included"]

MAX_INCLUDED = 200
"""How many included credentials one CLR may ask the verifier to check."""

NestedVerifier = Callable[["dict[str, Any] | str", Expected], VerificationReport]

_PATH = "$.credentialSubject.verifiableCredential"


def check_included(
    credential: dict[str, Any], verify_nested: NestedVerifier
) -> tuple[Check, list[IncludedReport]]:
    """Run the ``credentials`` check of a CLR.

    Args:
        credential: the ClrCredential JSON.
        verify_nested: verifies one included credential (one nesting level deeper).

    Returns:
        The check and the report of each included credential, in document order.
    """
    items = included_credentials(credential)
    if not items:
        return Check.make("credentials", "invalid", "The record includes no credentials."), []
    if len(items) > MAX_INCLUDED:
        detail = (
            f"The record includes {len(items)} credentials, more than the {MAX_INCLUDED} this "
            "verifier checks, so they were not verified."
        )
        return Check.make("credentials", "unknown", detail), []
    children = [_verify_one(i, item, verify_nested) for i, item in enumerate(items)]
    return _summarise(children), children


def _verify_one(index: int, item: Any, verify_nested: NestedVerifier) -> IncludedReport:
    path = f"{_PATH}[{index}]"
    if not isinstance(item, dict):
        not_object = Check.make("format", "invalid", "The entry is not a credential object.")
        return IncludedReport(
            index, path, None, VerificationReport(False, None, "unknown", [not_object])
        )
    return IncludedReport(index, path, display_name(item), verify_nested(item, "credential"))


def display_name(credential: dict[str, Any]) -> str | None:
    """The credential's ``name``, else its achievement's ``name``, else ``None``."""
    name = credential.get("name")
    if isinstance(name, str) and name:
        return name
    for subject in subjects_of(credential):
        achievement = subject.get("achievement") if isinstance(subject, dict) else None
        if isinstance(achievement, dict) and isinstance(achievement.get("name"), str):
            return str(achievement["name"])
    return None


def _summarise(children: list[IncludedReport]) -> Check:
    count = len(children)
    failures: list[str] = []
    unknowns: list[str] = []
    for child in children:
        bad = [c for c in child.report.checks if c.status == "invalid"]
        unsure = [
            c
            for c in child.report.checks
            if c.status == "unknown" and c.id in BLOCKING_WHEN_UNKNOWN
        ]
        if bad:
            failures.append(f"{_label(child, count)} failed ({_summary(bad)}).")
        elif unsure or not child.report.verified:
            unknowns.append(
                f"{_label(child, count)} could not be fully checked ({_summary(unsure)})."
            )
    if failures:
        return Check.make("credentials", "invalid", " ".join(failures + unknowns))
    if unknowns:
        return Check.make("credentials", "unknown", " ".join(unknowns))
    names = ", ".join(_label(child, count, short=True) for child in children)
    if count == 1:
        detail = f"The included credential verified on its own: {names}."
    else:
        detail = f"All {count} included credentials verified, each on its own: {names}."
    return Check.make("credentials", "valid", detail)


def _label(child: IncludedReport, count: int, *, short: bool = False) -> str:
    named = f" “{child.name}”" if child.name else ""
    if short:
        return f"{child.index + 1}{named}"
    return f"Included credential {child.index + 1} of {count}{named} ({child.path})"


def _summary(checks: list[Check]) -> str:
    return "; ".join(f"{c.title}: {c.detail}" for c in checks[:3]) or "no detail"
