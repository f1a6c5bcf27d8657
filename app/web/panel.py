"""From a verification report to what a person reads: one banner and one row per check.

The banner must be unmistakable, never colour alone: every kind has its own icon and title
words. Its kind is chosen by severity, so a revoked *and* expired credential says "Revoked", and
a credential whose signature fails says "Not genuine" whatever else it claims — once the
signature fails, nothing else in the document can be believed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from app.web.check_details import localise_detail
from app.web.view import credential_view

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

    def localised(self, locale: str) -> list[tuple[str, str]]:
        """The detail in ``locale`` as ``(text, language)`` runs: a sentence the translation
        table does not know stays English and is marked so."""
        found = localise_detail(self.detail, locale)
        return [(segment.text, segment.lang) for segment in found.segments]


@dataclass(frozen=True, slots=True)
class IncludedRow:
    """One credential a CLR includes, with its own verdict (see :func:`included_rows`).

    ``verdict`` is ``valid`` (verified), ``invalid`` (a check failed) or ``unknown`` (could not
    be fully checked); ``banner`` names the most severe state, as the page banner would.
    """

    index: int
    name: str | None
    language: str | None
    issuer: str
    valid_from: datetime | None
    verdict: str
    icon: str
    banner: BannerKind
    failed: list[CheckRow]


@dataclass(frozen=True, slots=True)
class Panel:
    """The banner and the rows of the verification panel (and a CLR's included credentials)."""

    banner: BannerKind
    tone: str
    icon: str
    rows: list[CheckRow]
    checked_at: datetime
    included: list[IncludedRow] = field(default_factory=list)

    def status_of(self, check_id: str) -> str | None:
        """The status of one check (``valid``/``invalid``/``unknown``), or None if not run."""
        return next((row.status for row in self.rows if row.id == check_id), None)

    @property
    def current(self) -> bool:
        """Whether the credential stands today: verified, not revoked, suspended or expired.
        Sharing, LinkedIn and wallet actions are offered only then."""
        return self.banner == "verified"


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


def _rows(report: ReportLike) -> list[CheckRow]:
    return [
        CheckRow(
            id=c.id, status=c.status, icon=STATUS_ICON.get(c.status, "question"), detail=c.detail
        )
        for c in report.checks
    ]


def verdict(report: ReportLike) -> str:
    """``valid`` when verified, ``invalid`` when any check failed, else ``unknown``."""
    if report.verified:
        return "valid"
    if any(c.status == "invalid" for c in report.checks):
        return "invalid"
    return "unknown"


def included_rows(report: ReportLike, now: datetime) -> list[IncludedRow]:
    """The included credentials of a CLR report (``report.children``), in document order.

    Reports without children (any ordinary credential, or :class:`SimpleReport`) give ``[]``.
    Names and issuers come from the included documents, which are shown as *claims*: the
    verdict beside each says whether it can be believed.
    """
    found: list[IncludedRow] = []
    for child in getattr(report, "children", None) or []:
        child_report: Any = child.report
        document = child_report.credential if isinstance(child_report.credential, dict) else {}
        view = credential_view(document)
        kind = banner_kind(child_report, valid_from=view.valid_from, now=now)
        status = verdict(child_report)
        found.append(
            IncludedRow(
                index=int(child.index),
                name=(child.name or "").strip()[:500] or None,
                language=view.language,
                issuer=view.issuer.name,
                valid_from=view.valid_from,
                verdict=status,
                icon=STATUS_ICON[status],
                banner=kind,
                failed=[row for row in _rows(child_report) if row.status != "valid"],
            )
        )
    return found


def build_panel(
    report: ReportLike,
    *,
    valid_from: datetime | None,
    now: datetime | None = None,
) -> Panel:
    """Turn ``report`` into the banner and rows the templates render."""
    now = now or datetime.now(UTC)
    kind = banner_kind(report, valid_from=valid_from, now=now)
    return Panel(
        banner=kind,
        tone=TONE.get(kind, "bad"),
        icon=ICON[kind],
        rows=_rows(report),
        checked_at=now,
        included=included_rows(report, now),
    )
