"""The hosted-credential store: credentials kept for a learner that came from elsewhere.

Two doors lead in: the learner's upload on the account page (``source="upload"``) and an app's
``POST /ims/ob/v3p0/credentials`` (``source="app:<client_id>"``, :mod:`app.obapi`). Both go
through :func:`upsert_hosted`, which verifies first (nothing that fails verification is kept)
and applies OB 3.0's equality rule ("Credential equality and comparison"): two credentials are
the same when their ``issuer.id`` and ``id`` are, after percent-decoding and trimming; the same
one replaces the kept document (and its compact JWS).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy import LargeBinary, cast, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.core.errors import AppError
from app.core.ratelimit import RateLimited
from app.models import HostedCredential, lengths, utcnow
from app.verification import service as verification
from app.verification.admission import ANONYMOUS_LIMITS, check_input_limits, guards_of, in_lane


class HostedQuotaExceeded(AppError):
    """The account keeps as many hosted credentials (or bytes of them) as it may."""

    status, title, code = 409, "Hosted credential quota reached", "hosted_quota_exceeded"


class CredentialNotVerified(AppError):
    """What was handed in is not a credential that verifies; ``failed`` names the checks."""

    status, title, code = 400, "Credential does not verify", "credential_not_verified"

    def __init__(self, detail: str, failed: list[str] | None = None) -> None:
        super().__init__(detail, field="$")
        self.failed = failed or []


_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _percent(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def _normalise(value: str) -> str:
    """OB 3.0 equality: percent-decoded, leading and trailing whitespace removed. Only
    unreserved characters are decoded (RFC 3986 §6.2.2.2; ``%2F`` is not ``/``), the other
    escapes are upper-cased (§6.2.2.1)."""
    return _PERCENT.sub(_percent, value.strip())


def _issuer_id(credential: dict[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) and issuer.strip() else None


def identity(credential: dict[str, Any]) -> tuple[str, str]:
    """``(issuer id, credential id)`` as the equality rule compares them. A credential without
    an ``id`` (optional in VC 2.0) is named by the SHA-256 of its canonical JSON, so only the
    very same document is "equal" to it."""
    issuer = _issuer_id(credential)
    if issuer is None:
        raise CredentialNotVerified("The credential has no issuer id.")
    credential_id = credential.get("id")
    if isinstance(credential_id, str) and credential_id.strip():
        key = _normalise(credential_id)
    else:
        canonical = json.dumps(credential, sort_keys=True, separators=(",", ":"))
        key = "urn:sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    issuer_key = _normalise(issuer)
    for name, value in (("issuer.id", issuer_key), ("id", key)):
        if len(value) > lengths.URL:
            raise CredentialNotVerified(f"The credential's {name} is longer than {lengths.URL}.")
    return issuer_key, key


def verified_credential(
    session: Session, *, document: dict[str, Any] | None, compact_jws: str | None
) -> dict[str, Any]:
    """The credential (decoded from the JWS when one is given) once it verifies; raises
    :class:`CredentialNotVerified` otherwise, :class:`~app.verification.admission.TooLargeToVerify`
    (413) for input over the anonymous limits (checked before any verification work), and lets
    a database error through (an outage is the client's 503, not a verdict)."""
    if (document is None) == (compact_jws is None):
        raise CredentialNotVerified("Give either a credential document or a compact JWS.")
    data: dict[str, Any] | str = compact_jws.strip() if compact_jws is not None else document  # type: ignore[assignment]
    check_input_limits(data, ANONYMOUS_LIMITS)
    try:
        report = verification.verify_document(session, data, limits=ANONYMOUS_LIMITS)
    except (AppError, SQLAlchemyError):
        raise
    except Exception as exc:  # the library refuses what it cannot read at all
        raise CredentialNotVerified(f"The credential could not be read: {exc}") from exc
    if not report.verified or not isinstance(report.credential, dict):
        failed = [check.id for check in report.checks if check.status == "invalid"]
        names = ", ".join(failed) or "format"
        raise CredentialNotVerified(f"The credential does not verify (failed: {names}).", failed)
    return report.credential


def upsert_hosted(
    session: Session,
    context: AppContext,
    account_id: uuid.UUID,
    *,
    document: dict[str, Any] | None,
    compact_jws: str | None,
    source: str,
) -> tuple[HostedCredential, bool]:
    """Verify, then insert or replace the account's copy of the credential (the caller
    commits). Returns ``(row, created)``; raises :class:`CredentialNotVerified`, and
    :class:`HostedQuotaExceeded` past ``hosted_max_credentials`` or ``hosted_max_bytes``."""
    credential = verified_credential(session, document=document, compact_jws=compact_jws)
    issuer_iri, credential_iri = identity(credential)
    text = json.dumps(credential, ensure_ascii=False, separators=(",", ":"))
    jws = compact_jws.strip() if compact_jws is not None else None
    source = source[:200]

    def existing() -> HostedCredential | None:
        return session.scalars(
            select(HostedCredential).where(
                HostedCredential.account_id == account_id,
                HostedCredential.issuer_iri == issuer_iri,
                HostedCredential.credential_iri == credential_iri,
            )
        ).first()

    row = existing()
    _check_quota(session, context, account_id, row, _size(text) + _size(jws))
    if row is None:
        try:
            with session.begin_nested():
                row = HostedCredential(
                    account_id=account_id,
                    issuer_iri=issuer_iri,
                    credential_iri=credential_iri,
                    document=text,
                    compact_jws=jws,
                    source=source,
                )
                session.add(row)
            return row, True
        except IntegrityError:  # the same credential upserted at the same moment
            row = existing()
            if row is None:
                raise
    row.document, row.compact_jws, row.source = text, jws, source
    row.updated_at = utcnow()
    session.flush()
    return row, False


def _size(text: str | None) -> int:
    return len(text.encode("utf-8")) if text else 0


def _stored_bytes(session: Session, account_id: uuid.UUID) -> int:
    """The bytes of the account's stored JSON and JWS (``octet_length``; SQLite counts a
    BLOB's bytes)."""
    if session.get_bind().dialect.name == "postgresql":

        def size(column: Any) -> Any:
            return func.coalesce(func.octet_length(column), 0)
    else:

        def size(column: Any) -> Any:
            return func.coalesce(func.length(cast(column, LargeBinary)), 0)

    total = session.scalar(
        select(
            func.sum(size(HostedCredential.document) + size(HostedCredential.compact_jws))
        ).where(HostedCredential.account_id == account_id)
    )
    return int(total or 0)


def _check_quota(
    session: Session,
    context: AppContext,
    account_id: uuid.UUID,
    replaced: HostedCredential | None,
    size: int,
) -> None:
    """Refuse a new credential past the account's count, and any past its bytes (a
    replacement counts its new size instead of the old one)."""
    settings = context.settings
    if replaced is None:
        kept = count_hosted(session, account_id, include_hidden=True)
        if kept >= settings.hosted_max_credentials:
            raise HostedQuotaExceeded(
                f"The account keeps {kept} credentials, the most it may "
                f"({settings.hosted_max_credentials}); delete one first.",
                field="$",
            )
    old = _size(replaced.document) + _size(replaced.compact_jws) if replaced else 0
    total = _stored_bytes(session, account_id) - old + size
    if total > settings.hosted_max_bytes:
        raise HostedQuotaExceeded(
            f"The account's credentials would take {total} bytes, more than the "
            f"{settings.hosted_max_bytes} it may keep.",
            field="$",
        )


def _listing(account_id: uuid.UUID, since: datetime | None, include_hidden: bool) -> Any:
    query = select(HostedCredential).where(HostedCredential.account_id == account_id)
    if not include_hidden:
        query = query.where(HostedCredential.hidden.is_(False))
    if since is not None:
        query = query.where(HostedCredential.updated_at > since)
    return query


def hosted_credentials(
    session: Session,
    account_id: uuid.UUID,
    *,
    limit: int | None = None,
    offset: int = 0,
    since: datetime | None = None,
    include_hidden: bool = False,
) -> list[HostedCredential]:
    """The account's hosted credentials, most recently updated first (hidden ones only with
    ``include_hidden``, for the learner's own page)."""
    query = _listing(account_id, since, include_hidden).order_by(
        HostedCredential.updated_at.desc(), HostedCredential.id
    )
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def hosted_index(
    session: Session, account_id: uuid.UUID, *, since: datetime | None, limit: int
) -> list[tuple[uuid.UUID, datetime]]:
    """``(id, updated_at)`` of the first ``limit`` of :func:`hosted_credentials` (not hidden),
    without their documents: a page is picked from these, then read with :func:`hosted_by_ids`."""
    query = (
        _listing(account_id, since, False)
        .with_only_columns(HostedCredential.id, HostedCredential.updated_at)
        .order_by(HostedCredential.updated_at.desc(), HostedCredential.id)
        .limit(limit)
    )
    return [(row_id, updated) for row_id, updated in session.execute(query)]


def hosted_by_ids(
    session: Session, account_id: uuid.UUID, ids: list[uuid.UUID]
) -> dict[uuid.UUID, HostedCredential]:
    """The account's hosted credentials of ``ids`` (a page of :func:`hosted_index`)."""
    if not ids:
        return {}
    rows = session.scalars(
        select(HostedCredential).where(
            HostedCredential.account_id == account_id, HostedCredential.id.in_(ids)
        )
    )
    return {row.id: row for row in rows}


def count_hosted(
    session: Session,
    account_id: uuid.UUID,
    *,
    since: datetime | None = None,
    include_hidden: bool = False,
) -> int:
    """How many :func:`hosted_credentials` would list without ``limit``/``offset``."""
    subquery = _listing(account_id, since, include_hidden).subquery()
    return int(session.scalar(select(func.count()).select_from(subquery)) or 0)


# --- under the verify guards ----------------------------------------------------------------


def admit(request: Request, account_id: uuid.UUID) -> None:
    """Spend one of the account's verifications, or raise :class:`RateLimited` (429).

    Both doors into the store (the learner's upload, an app's upsert) draw from one bucket
    per account, at the anonymous rate of public verification (``BADGES_VERIFY_RATE_PER_MINUTE``,
    ``BADGES_VERIFY_BURST``): apps are free to register, so a bucket per app would be none."""
    limiter = guards_of(request).anonymous
    wait = limiter.take(f"account:{account_id}")
    if wait > 0:
        raise RateLimited(
            f"An account may have {limiter.rate_per_minute:g} credentials verified a minute "
            f"(bursts of {limiter.burst}); try again in {max(1, round(wait))} s.",
            retry_after_s=wait,
        )


async def upsert_in_lane(
    request: Request,
    session: Session,
    context: AppContext,
    account_id: uuid.UUID,
    *,
    document: dict[str, Any] | None,
    compact_jws: str | None,
    source: str,
) -> tuple[HostedCredential, bool]:
    """:func:`upsert_hosted` under the guards of public verification
    (:mod:`app.verification.admission`): the account's rate (:func:`admit`), then the verify
    lane (``503`` with ``Retry-After`` when its queue is full), never the thread pool of pages
    and database hops: verifying a foreign issuer may wait on its server for seconds. Commits
    in the lane."""
    admit(request, account_id)

    def store() -> tuple[HostedCredential, bool]:
        done = upsert_hosted(
            session,
            context,
            account_id,
            document=document,
            compact_jws=compact_jws,
            source=source,
        )
        session.commit()
        return done

    result: tuple[HostedCredential, bool] = await in_lane(request, store)
    return result
