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
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.core.errors import AppError
from app.models import HostedCredential, lengths, utcnow
from app.verification import service as verification
from app.verification.admission import ANONYMOUS_LIMITS


class CredentialNotVerified(AppError):
    """What was handed in is not a credential that verifies; ``failed`` names the checks."""

    status, title, code = 400, "Credential does not verify", "credential_not_verified"

    def __init__(self, detail: str, failed: list[str] | None = None) -> None:
        super().__init__(detail, field="$")
        self.failed = failed or []


def _normalise(value: str) -> str:
    """OB 3.0 equality: percent-decoded, leading and trailing whitespace removed."""
    return unquote(value).strip()


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
    :class:`CredentialNotVerified` otherwise."""
    if (document is None) == (compact_jws is None):
        raise CredentialNotVerified("Give either a credential document or a compact JWS.")
    data: dict[str, Any] | str = compact_jws.strip() if compact_jws is not None else document  # type: ignore[assignment]
    try:
        report = verification.verify_document(session, data, limits=ANONYMOUS_LIMITS)
    except AppError:
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
    commits). Returns ``(row, created)``; raises :class:`CredentialNotVerified`."""
    del context  # the verifier takes what it needs from the session
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
