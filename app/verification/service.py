"""Verification through the library, with our own documents resolved from the database.

``verify_document(session, data, …)`` is the seam used by ``POST /api/v1/verify``, the
credential page and the ``/verify`` page (docs/design.md). What people bring —
``POST /api/v1/verify`` and the ``/verify`` page — goes through :func:`verify_public`, which
also fetches a URL (:func:`fetch_for_verification`) and applies the caller's input limits.
"""

from __future__ import annotations

import importlib
import re
import uuid
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.core.context import AppContext, context_of
from app.core.errors import NotFound, Unprocessable
from app.core.fetch import SafeFetcher
from app.credentials import repository as credential_rows
from app.credentials import seal
from app.credentials import service as credentials
from app.endorsements import service as endorsements
from app.hot import usage
from app.hot import verification as hot_verification
from app.verification.admission import check_input_limits
from app.verification.memo import PAGE_MEMO
from app.verification.resolver import DatabaseResolver, own_path, own_public_path
from openbadges import verify as ob_verify
from openbadges.errors import ResolutionError
from openbadges.jsonld.limits import Limits
from openbadges.resolver import Resolver

FETCH_ACCEPT = (
    "application/vc+ld+json, application/ld+json;q=0.9, application/json;q=0.9, "
    "application/vc+jwt;q=0.8, image/png;q=0.8, image/svg+xml;q=0.8, */*;q=0.1"
)
"""What verify-by-URL asks other servers for: a credential in any form the verifier reads."""

_UUID = r"(?P<id>[0-9a-fA-F-]{36})"
_CREDENTIAL_URL = re.compile(
    rf"^/credentials/{_UUID}(?P<form>\.json|\.jwt|/badge\.png|/badge\.svg)?$"
)
_ENDORSEMENT_URL = re.compile(rf"^/endorsements/{_UUID}$")


def _safe_fetcher(context: AppContext) -> Resolver | None:
    """``app.core.fetch.SafeFetcher`` when it exists (written by another part of the project)."""
    try:
        module = importlib.import_module("app.core.fetch")
    except ModuleNotFoundError as exc:
        if exc.name != "app.core.fetch":
            raise
        return None
    fetcher: Resolver = module.SafeFetcher(context.settings, cache=hot_verification.fetched)
    return fetcher


def resolver_for(session: Session) -> DatabaseResolver:
    """Our database for our URLs, the SSRF-safe fetcher (if present) for the rest."""
    context = context_of(session)
    return DatabaseResolver(session, context, _safe_fetcher(context))


_MAY_BE_STALE = frozenset({"proof", "issuer_key", "revocation", "suspension"})


class NeedsNetwork(Exception):
    """:func:`verify_own` without the network met a document of another host (a foreign
    endorser's key, say): the caller verifies again where waiting on a fetch is allowed."""


def verify_own(
    session: Session,
    data: bytes | str,
    *,
    revoked: bool,
    suspended: bool,
    sealed: tuple[uuid.UUID, str | None] | None = None,
    network: bool = True,
) -> ob_verify.VerificationReport:
    """Verify one of our own stored credentials for its page, reusing what cannot have changed.

    ``revoked``/``suspended`` are the credential row's state (``revoked_at``/``suspended_at``,
    set in the same transaction as the list's bit). The first pass reuses this worker's status
    list documents and their verifications, proof checks and DID documents
    (:mod:`app.verification.memo`, ``signing_keys.service.cached_did_document``). Its verdict
    stands only when its status checks say what the row says and nothing a kept document can
    make fail (proof, key, a list's trust) failed; otherwise the credential is verified again
    without any reuse, as :func:`verify_document` does (keeping the lists it reads, for the
    next pages). So a kept list older than a
    revocation or a suspension never shows (the row tells), and a kept DID document without a
    newer key never fails a page.

    ``sealed``: the credential's id and ``canonical_seal`` when ``data`` is its stored
    document. A seal that opens for exactly this text gives the first pass the digest the
    proof was signed over, so the document is not canonicalised again
    (:mod:`app.credentials.seal`); the signature is still checked. The second pass never
    uses it.

    ``network=False`` refuses every foreign URL (no fetcher is made) and raises
    :class:`NeedsNetwork` when one was asked for: for a caller that must not wait on another
    host (the event loop), whose answer is then the same verification in a thread.
    """
    context = context_of(session)
    fetcher = _safe_fetcher(context) if network else None
    digest = None
    if sealed is not None and isinstance(data, str):
        digest = seal.opened(context.keystore, sealed[0], data, sealed[1])
    resolver = DatabaseResolver(
        session, context, fetcher, reuse_did_documents=True, reuse_status_lists=True
    )
    report = ob_verify.verify(data, resolver=resolver, memo=PAGE_MEMO, canonical_digest=digest)
    resolver.raise_outage()  # a database outage is a 503, never a verdict
    if resolver.refused_foreign:
        raise NeedsNetwork
    expected = {"revocation": revoked, "suspension": suspended}
    stands = all(
        check.status == "valid" or (check.id in expected and check.status == "invalid")
        for check in report.checks
        if check.id in _MAY_BE_STALE
    ) and all(
        (check.status == "invalid") == expected[check.id]
        for check in report.checks
        if check.id in expected
    )
    if stands:
        return report
    fresh = DatabaseResolver(session, context, fetcher, keep_status_lists=True)
    report = ob_verify.verify(data, resolver=fresh)
    fresh.raise_outage()
    if fresh.refused_foreign:
        raise NeedsNetwork
    return report


def verify_document(
    session: Session,
    data: bytes | str | dict[str, Any],
    *,
    recipient: str | None = None,
    now: datetime | None = None,
    limits: Limits | None = None,
) -> ob_verify.VerificationReport:
    """Verify a credential (JSON, dict or VC-JWT) and return the per-check report; ``limits``
    bound every parse and canonicalisation of it (the library's defaults when None)."""
    resolver = resolver_for(session)
    report = ob_verify.verify(data, resolver=resolver, now=now, recipient=recipient, limits=limits)
    resolver.raise_outage()  # a database outage is a 503, never a verdict
    return report


class UrlNotFetched(Unprocessable):
    """Verify-by-URL could not get the document; ``reason`` says why (for the page)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"The URL could not be fetched: {reason}", field="$.url")
        self.reason = reason


def fetch_for_verification(session: Session, url: str) -> bytes | str | dict[str, Any]:
    """What ``url`` serves, to verify: ours from the database, others through the safe fetcher.

    Every public URL this service hands out for a credential verifies: the page
    ``/credentials/{id}``, ``.json``, ``.jwt``, ``/badge.png`` and ``/badge.svg`` (baked as they
    are served), ``/endorsements/{id}`` and ``/status/{id}``, with or without a query string
    (``?lang=zh-CN``) — read from the database, never over HTTP to ourselves. Anything else
    goes through :class:`app.core.fetch.SafeFetcher` (https only, no private addresses) and
    may be JSON, a VC-JWT or a baked PNG/SVG.

    Raises:
        UrlNotFetched: (422, naming ``$.url``) when the document cannot be had.
    """
    context = context_of(session)
    path = own_public_path(context.settings.base_url, url)
    try:
        if path is not None:
            return _own_document(session, context, url, path)
        fetcher = SafeFetcher(context.settings, cache=hot_verification.fetched)
        fetched = fetcher.fetch(url.split("#", 1)[0], accept=FETCH_ACCEPT)
    except ResolutionError as exc:
        raise UrlNotFetched(exc.message) from exc
    except NotFound as exc:
        raise UrlNotFetched(exc.detail) from exc
    return fetched.content


def _own_document(
    session: Session, context: AppContext, url: str, path: str
) -> bytes | str | dict[str, Any]:
    """The bytes or document one of our public URLs serves (``path`` without the query)."""
    match = _CREDENTIAL_URL.match(path)
    if match:
        return _own_credential(session, uuid.UUID(match["id"]), match["form"])
    match = _ENDORSEMENT_URL.match(path)
    if match:
        return endorsements.get_endorsement(session, uuid.UUID(match["id"])).document
    resolver = DatabaseResolver(session, context, None)
    return resolver.fetch_json(url.split("?", 1)[0].split("#", 1)[0])


def _own_credential(session: Session, credential_id: uuid.UUID, form: str | None) -> bytes | str:
    """A credential as ``/credentials/{id}{form}`` serves it (hidden ones: not found)."""
    row = credentials.get_public_credential(session, credential_id)
    jwt_only = row.proof_format == "jwt"
    if form == ".jwt" or (form is None and jwt_only):
        if not row.jwt:
            raise NotFound("This credential has no VC-JWT form; verify its .json URL.")
        return str(row.jwt)
    if form == ".json" and jwt_only:
        raise NotFound("This credential was issued as a VC-JWT only; verify its .jwt URL.")
    if form in ("/badge.png", "/badge.svg"):
        downloads = _web_downloads()
        if downloads is not None:
            body: bytes = downloads.baked_badge(row, form[-3:]).body
            return body
        return str(row.jwt) if jwt_only and row.jwt else str(row.document)
    return str(row.document)


def _web_downloads() -> Any | None:
    """``app.web.downloads`` (bakes badges as served), or None when the pages are not installed."""
    try:
        return importlib.import_module("app.web.downloads")
    except ModuleNotFoundError as exc:
        if exc.name not in ("app.web", "app.web.downloads"):
            raise
        return None


def verify_public(
    session: Session,
    data: bytes | str | dict[str, Any] | None,
    *,
    url: str | None = None,
    limits: Limits,
    recipient: str | None = None,
) -> ob_verify.VerificationReport:
    """A verification someone asked for (``POST /api/v1/verify``, the ``/verify`` page).

    Fetches ``url`` when given (instead of ``data``), refuses input over the caller's
    ``limits`` (:func:`app.verification.admission.check_input_limits`), then verifies. Runs
    in the verify lane (blocking: database, network, CPU).
    """
    if url is not None:
        data = fetch_for_verification(session, url)
    if data is None:
        raise Unprocessable("Nothing to verify.", field="$")
    check_input_limits(data, limits)
    report = verify_document(session, data, recipient=recipient, limits=limits)
    count_if_ours(session, report)
    return report


def count_if_ours(session: Session, report: ob_verify.VerificationReport) -> None:
    """Count a verification someone asked for (the API, the ``/verify`` page) when the
    document's ``id`` is one of our visible credentials, whatever the verdict: in memory
    (:func:`app.hot.usage.count`), nothing about who asked. The credential page's own check
    is not a verification anyone asked for and is counted as a page view instead."""
    document = report.credential
    identifier = document.get("id") if isinstance(document, dict) else None
    if not isinstance(identifier, str):
        return
    path = own_path(context_of(session).settings.base_url, identifier)
    match = _CREDENTIAL_URL.match(path or "")
    if match is None or match["form"]:
        return
    try:
        state = credential_rows.public_state(session, uuid.UUID(match["id"]))
    except ValueError:
        return
    if state is not None:  # a hidden (or unknown) credential is not counted
        usage.count(usage.VERIFY, state["issuer_id"], state["achievement_id"])


def report_to_json(report: Any) -> dict[str, Any]:
    """The report as JSON (dataclasses all the way down)."""
    if is_dataclass(report) and not isinstance(report, type):
        result: dict[str, Any] = asdict(report)
        return result
    raise TypeError("unexpected report type")
