"""The verification report: one :class:`Check` per concern, and the verdict rule.

A verifier that answers only yes/no leaves the person reading it guessing (LCW#98,
verifier-plus#136), and one that turns "could not fetch the status list" into "valid" or
"revoked" is wrong either way (w3c/vc-bitstring-status-list#39). So every concern is reported on
its own with three outcomes — ``valid``, ``invalid`` and ``unknown`` (could not be checked) — and
a plain sentence saying why.

A CLR (``ClrCredential``) bundles credentials that are each verified on their own; their reports
are kept in :attr:`VerificationReport.children` (one :class:`IncludedReport` each) so a page can
list them, and summed up by the ``credentials`` check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "BLOCKING_WHEN_UNKNOWN",
    "CHECK_TITLES",
    "Check",
    "CheckId",
    "CheckStatus",
    "IncludedReport",
    "VerificationReport",
    "is_verified",
]

CheckStatus = Literal["valid", "invalid", "unknown"]
"""``valid`` passed, ``invalid`` failed, ``unknown`` could not be checked (with the reason)."""

CheckId = Literal[
    "format",
    "structure",
    "schema",
    "proof",
    "issuer_key",
    "revocation",
    "suspension",
    "validity",
    "credentials",
    "recipient",
    "endorsements",
]

CHECK_TITLES: dict[str, str] = {
    "format": "Format",
    "structure": "Open Badges 3.0 structure",
    "schema": "Credential schemas",
    "proof": "Signature",
    "issuer_key": "Issuer key",
    "revocation": "Revocation",
    "suspension": "Suspension",
    "validity": "Validity period",
    "credentials": "Included credentials",
    "recipient": "Recipient",
    "endorsements": "Endorsements",
}
"""The human title of each check id, in report order."""

BLOCKING_WHEN_UNKNOWN: frozenset[str] = frozenset(
    {"proof", "issuer_key", "revocation", "suspension", "credentials"}
)
"""Checks whose ``unknown`` outcome withholds the verdict: without them nothing is proven (for a
CLR, ``credentials``: a record whose included credentials could not all be checked is not
verified)."""


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of one verification concern.

    Attributes:
        id: a stable machine id (see :data:`CheckId`), used by the API and the page.
        status: ``valid``, ``invalid`` or ``unknown``.
        title: a short human title.
        detail: one or more plain sentences a person understands, saying why.
    """

    id: str
    status: CheckStatus
    title: str
    detail: str

    @classmethod
    def make(cls, check_id: str, status: CheckStatus, detail: str) -> Check:
        """Build a check with the standard title of ``check_id``."""
        return cls(check_id, status, CHECK_TITLES.get(check_id, check_id), detail)

    def to_dict(self) -> dict[str, str]:
        """Return the JSON form used by the API and ``--json``."""
        return {"id": self.id, "status": self.status, "title": self.title, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """Everything a verifier found out about one credential.

    Attributes:
        verified: the verdict (see :func:`is_verified`).
        credential: the credential as JSON (unwrapped from a JWT or image), or ``None`` when the
            input could not be read at all.
        format: ``json``, ``jwt``, ``png+json``, ``png+jwt``, ``svg+json``, ``svg+jwt`` or
            ``unknown``.
        checks: one entry per concern, in a stable order.
        children: for a CLR, the report of each included credential
            (``credentialSubject.verifiableCredential``), in document order; empty otherwise.
    """

    verified: bool
    credential: dict[str, Any] | None
    format: str
    checks: list[Check] = field(default_factory=list)
    children: list[IncludedReport] = field(default_factory=list)

    def check(self, check_id: str) -> Check | None:
        """Return the check with ``check_id``, or ``None`` when it was not run."""
        return next((c for c in self.checks if c.id == check_id), None)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form used by the API and ``--json`` (``children`` only for a CLR)."""
        result: dict[str, Any] = {
            "verified": self.verified,
            "format": self.format,
            "checks": [c.to_dict() for c in self.checks],
            "credential": self.credential,
        }
        if self.children:
            result["children"] = [child.to_dict() for child in self.children]
        return result


@dataclass(frozen=True, slots=True)
class IncludedReport:
    """The verification of one credential included in a CLR.

    Attributes:
        index: its position in ``credentialSubject.verifiableCredential`` (0-based).
        path: its JSON path, e.g. ``$.credentialSubject.verifiableCredential[1]``.
        name: a display name (the credential's ``name``, else its achievement's), if any.
        report: its own report, made with the same resolver, clock and key policy.
    """

    index: int
    path: str
    name: str | None
    report: VerificationReport

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form: position, name and the nested report."""
        return {
            "index": self.index,
            "path": self.path,
            "name": self.name,
            "report": self.report.to_dict(),
        }


def is_verified(checks: list[Check]) -> bool:
    """Apply the verdict rule of ``docs/design.md``.

    A credential is verified when no check is ``invalid`` and none of the checks that carry the
    proof of authenticity and current standing (:data:`BLOCKING_WHEN_UNKNOWN`) is ``unknown``.
    An ``unknown`` schema or endorsement check is shown to the reader but does not withhold the
    verdict, because it says nothing about who issued the credential or whether it still stands.
    """
    if not checks:
        return False
    for check in checks:
        if check.status == "invalid":
            return False
        if check.status == "unknown" and check.id in BLOCKING_WHEN_UNKNOWN:
            return False
    return True
