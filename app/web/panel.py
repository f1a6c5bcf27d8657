"""From a verification report to what a person reads: one banner and one row per check.

The banner must be unmistakable, never colour alone: every kind has its own icon and title
words. Its kind is chosen by severity, so a revoked *and* expired credential says "Revoked", and
a credential whose signature fails says "Not genuine" whatever else it claims — once the
signature fails, nothing else in the document can be believed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

BannerKind = Literal[
    "verified",
    "tampered",
    "revoked",
    "suspended",
    "expired",
    "not_yet_valid",
    "untrusted_key",
    "invalid",
    "unchecked",
]

TONE: dict[str, str] = {
    "verified": "ok",
    "unchecked": "warn",
    "suspended": "warn",
    "expired": "warn",
    "not_yet_valid": "warn",
}
"""Banner colour family; everything not listed is ``bad``."""

ICON: dict[str, str] = {
    "verified": "check",
    "revoked": "cross",
    "tampered": "alert",
    "untrusted_key": "alert",
    "invalid": "cross",
    "suspended": "pause",
    "expired": "clock",
    "not_yet_valid": "clock",
    "unchecked": "question",
}
STATUS_ICON = {"valid": "check", "invalid": "cross", "unknown": "question"}
_SIGNATURE_CHECKS = ("structure", "proof")


class CheckLike(Protocol):
    """What the panel reads of ``openbadges.verify.Check``."""

    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def detail(self) -> str: ...


class ReportLike(Protocol):
    """What the panel reads of ``openbadges.verify.VerificationReport``."""

    @property
    def verified(self) -> bool: ...
    @property
    def checks(self) -> Sequence[CheckLike]: ...


@dataclass(frozen=True, slots=True)
class SimpleCheck:
    """A check made by this package itself (e.g. "could not check" when the verifier failed)."""

    id: str
    status: str
    detail: str


@dataclass(frozen=True, slots=True)
class SimpleReport:
    """A report made by this package itself, shaped like the library's."""

    verified: bool
    checks: list[SimpleCheck]


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One check as shown: id (for the catalogue keys), status, icon and the library's detail."""

    id: str
    status: str
    icon: str
    detail: str


@dataclass(frozen=True, slots=True)
class Panel:
    """The banner and the rows of the verification panel."""

    banner: BannerKind
    tone: str
    icon: str
    rows: list[CheckRow]
    checked_at: datetime


def _status(report: ReportLike, check_id: str) -> str | None:
    return next((c.status for c in report.checks if c.id == check_id), None)


def banner_kind(report: ReportLike, *, valid_from: datetime | None, now: datetime) -> BannerKind:
    """Pick the banner by severity (see the module docstring)."""
    if _status(report, "format") == "invalid":
        return "invalid"  # not a credential at all: nothing to call genuine or forged
    if any(_status(report, c) == "invalid" for c in _SIGNATURE_CHECKS):
        return "tampered"
    if _status(report, "revocation") == "invalid":
        return "revoked"
    if _status(report, "issuer_key") == "invalid":
        return "untrusted_key"
    if _status(report, "suspension") == "invalid":
        return "suspended"
    if _status(report, "validity") == "invalid":
        if valid_from is not None and valid_from > now:
            return "not_yet_valid"
        return "expired"
    if any(c.status == "invalid" for c in report.checks):
        return "invalid"
    if report.verified:
        return "verified"
    return "unchecked"


def build_panel(
    report: ReportLike,
    *,
    valid_from: datetime | None,
    now: datetime | None = None,
) -> Panel:
    """Turn ``report`` into the banner and rows the templates render."""
    now = now or datetime.now(UTC)
    kind = banner_kind(report, valid_from=valid_from, now=now)
    rows = [
        CheckRow(
            id=c.id, status=c.status, icon=STATUS_ICON.get(c.status, "question"), detail=c.detail
        )
        for c in report.checks
    ]
    return Panel(
        banner=kind, tone=TONE.get(kind, "bad"), icon=ICON[kind], rows=rows, checked_at=now
    )
