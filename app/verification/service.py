"""Verification through the library, with our own documents resolved from the database.

``verify_document(session, data, …)`` is the seam used by ``POST /api/v1/verify``, the
credential page and the ``/verify`` page (docs/design.md).
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.core.context import AppContext, context_of
from app.core.errors import Unprocessable
from app.verification.resolver import DatabaseResolver, own_path
from openbadges import verify as ob_verify
from openbadges.errors import ResolutionError
from openbadges.resolver import Resolver


def _safe_fetcher(context: AppContext) -> Resolver | None:
    """``app.core.fetch.SafeFetcher`` when it exists (written by another part of the project)."""
    try:
        module = importlib.import_module("app.core.fetch")
    except ModuleNotFoundError as exc:
        if exc.name != "app.core.fetch":
            raise
        return None
    fetcher: Resolver = module.SafeFetcher(context.settings)
    return fetcher


def resolver_for(session: Session) -> DatabaseResolver:
    """Our database for our URLs, the SSRF-safe fetcher (if present) for the rest."""
    context = context_of(session)
    return DatabaseResolver(session, context, _safe_fetcher(context))


def verify_document(
    session: Session,
    data: bytes | str | dict[str, Any],
    *,
    recipient: str | None = None,
    now: datetime | None = None,
) -> ob_verify.VerificationReport:
    """Verify a credential (JSON, dict or VC-JWT) and return the per-check report."""
    return ob_verify.verify(data, resolver=resolver_for(session), now=now, recipient=recipient)


def fetch_for_verification(session: Session, url: str) -> dict[str, Any]:
    """The credential at ``url``: ours from the database, others through the safe fetcher."""
    resolver = resolver_for(session)
    base = context_of(session).settings.base_url
    if own_path(base, url) is None and not resolver.can_fetch_foreign:
        raise Unprocessable(
            "Fetching credentials from other hosts is not available on this server yet.",
            field="$.url",
        )
    try:
        return resolver.fetch_json(url)
    except ResolutionError as exc:
        raise Unprocessable(f"The URL could not be fetched: {exc.message}", field="$.url") from exc


def report_to_json(report: Any) -> dict[str, Any]:
    """The report as JSON (dataclasses all the way down)."""
    if is_dataclass(report) and not isinstance(report, type):
        result: dict[str, Any] = asdict(report)
        return result
    raise TypeError("unexpected report type")
