"""Credentials: issue (one transaction: row, status slots, proofs, audit), read, change status.

The signed JSON text is stored once at issuance and served byte for byte afterwards: nothing
here ever re-signs a credential on read.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from app.achievements import service as achievements
from app.audit import service as audit
from app.core.cache import TtlLru
from app.core.context import AppContext
from app.core.db import keep_loaded
from app.core.errors import AppError, BadRequest, NotFound, Unprocessable
from app.core.security import IssuerPrincipal
from app.core.urls import credential_url, status_list_url
from app.credentials import repository
from app.credentials.assemble import CredentialParts, StatusSlot, assemble_credential, xsd_datetime
from app.credentials.repository import CredentialFilter
from app.credentials.schemas import CredentialIssue, CredentialRead, RecipientRead
from app.endorsements import service as endorsements
from app.issuers import service as issuers
from app.models import Achievement, Credential, StatusEvent
from app.models.base import utcnow
from app.programs import service as programs
from app.programs.bilingual import pick_language, related_versions
from app.programs.results import validate_results
from app.signing_keys import service as keys
from app.status import service as status
from openbadges.errors import OpenBadgesError

logger = logging.getLogger("app.credentials")


class CredentialNotFound(NotFound):
    """No such credential (or not visible to the caller)."""


class IdempotencyKeyReused(AppError):
    """The Idempotency-Key was used before with a different request body."""

    status, title, code = 422, "Idempotency key reused", "idempotency_key_reused"


@dataclass(frozen=True, slots=True)
class IssueOutcome:
    """The credential, and whether it was replayed from an earlier identical request."""

    credential: Credential
    replayed: bool
    version: tuple[uuid.UUID, int] | None = None
    """``(lineage_id, version)`` of the achievement, when known without a query."""


def _request_hash(data: CredentialIssue) -> str:
    """A digest of the request body's meaning (member order and defaults do not matter)."""
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _serialise(document: dict[str, Any]) -> str:
    """The exact text stored and served."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _replay(
    session: Session, issuer_id: uuid.UUID, key: str, request_hash: str
) -> Credential | None:
    """The earlier credential for this key, or 422 when the body differs."""
    existing = repository.by_idempotency_key(session, issuer_id, key)
    if existing is not None and existing.request_hash != request_hash:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request body.",
            field="header.Idempotency-Key",
        )
    return existing


def _check_dates(data: CredentialIssue, valid_from: datetime) -> None:
    """validUntil must come after validFrom."""
    if data.valid_until is not None and data.valid_until <= valid_from:
        raise Unprocessable("validUntil must be later than validFrom.", field="$.validUntil")


def _results(data: CredentialIssue, achievement: Achievement) -> list[dict[str, Any]]:
    """Results as OB JSON; each must name one of the achievement's result descriptions."""
    known = {d["id"] for d in achievement.result_description}
    results = []
    for position, result in enumerate(data.results):
        if result.result_description is not None and result.result_description not in known:
            raise Unprocessable(
                "resultDescription must be the id of one of the achievement's resultDescription entries.",
                field=f"$.results[{position}].resultDescription",
            )
        results.append(result.model_dump(by_alias=True, exclude_none=True))
    problems = validate_results({"resultDescription": achievement.result_description}, results)
    if problems:
        errors = [{"field": f"$.{path}", "detail": message} for path, message in problems]
        raise Unprocessable(errors[0]["detail"], field=errors[0]["field"], errors=errors)
    return results


def _subject_extras(data: CredentialIssue) -> dict[str, Any]:
    """Optional AchievementSubject members given in the request."""
    extras: dict[str, Any] = {}
    if data.credits_earned is not None:
        extras["creditsEarned"] = data.credits_earned
    if data.term:
        extras["term"] = data.term
    if data.activity_start_date:
        extras["activityStartDate"] = xsd_datetime(data.activity_start_date.astimezone(UTC))
    if data.activity_end_date:
        extras["activityEndDate"] = xsd_datetime(data.activity_end_date.astimezone(UTC))
    if data.source is not None:
        extras["source"] = {"type": ["Profile"], **data.source.model_dump(exclude_none=True)}
    return extras


def _achievement_for(session: Session, issuer_id: uuid.UUID, data: CredentialIssue) -> Achievement:
    """The current achievement version, or 422 naming the field (also for other issuers')."""
    try:
        return achievements.current_for_issuing(session, issuer_id, data.achievement_id)
    except NotFound:
        raise Unprocessable(
            "No such achievement for this issuer.", field="$.achievementId"
        ) from None


def _sign(
    session: Session, context: AppContext, row: Credential, unsigned: dict[str, Any], proof: str
) -> None:
    """Attach the requested proofs; DI first, then the JWT over the DI-signed credential."""
    document = unsigned
    try:
        if proof in ("data-integrity", "both"):
            key = keys.active_key(session, row.issuer_id, keys.DATA_INTEGRITY)
            document = keys.sign_data_integrity(context, key, unsigned)
            row.signing_key_id = key.id
        if proof in ("jwt", "both"):
            jwt_key = keys.active_key(session, row.issuer_id, keys.JWT)
            row.jwt = keys.sign_jwt(context, jwt_key, document)
            row.jwt_signing_key_id = jwt_key.id
    except OpenBadgesError as exc:
        raise Unprocessable(exc.message, field=exc.path or "$") from exc
    row.document = _serialise(document)


def _new_row(
    principal: IssuerPrincipal,
    achievement: Achievement,
    data: CredentialIssue,
    valid_from: datetime,
    idempotency_key: str | None,
    request_hash: str | None,
) -> Credential:
    """The credential row before signing (transient: not in any session)."""
    return Credential(
        id=uuid.uuid4(),
        issuer_id=principal.issuer_id,
        achievement_id=achievement.id,
        recipient_email=data.recipient.email,
        recipient_name=data.recipient.name,
        recipient_did=data.recipient.did,
        document="",
        jwt=None,
        proof_format=data.proof,
        signing_key_id=None,
        jwt_signing_key_id=None,
        valid_from=valid_from,
        valid_until=data.valid_until.astimezone(UTC).replace(microsecond=0)
        if data.valid_until
        else None,
        revoked_at=None,
        suspended_at=None,
        hidden=False,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        created_at=utcnow(),
    )


def _valid_from(data: CredentialIssue) -> datetime:
    """validFrom in whole UTC seconds (now by default), checked against validUntil."""
    valid_from = (data.valid_from or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    _check_dates(data, valid_from)
    return valid_from


def _sign_row(
    session: Session,
    context: AppContext,
    row: Credential,
    achievement: Achievement,
    data: CredentialIssue,
    allocations: list[status.Allocation],
    results: list[dict[str, Any]],
) -> None:
    """Assemble the credential for ``row`` with its status entries and sign it onto the row."""
    base = context.settings.base_url
    parts = CredentialParts(
        credential_url=credential_url(base, row.id),
        issuer_profile=issuers.cached_embedded_profile(session, context, row.issuer_id),
        achievement=endorsements.with_endorsements(
            session, achievements.achievement_document(base, achievement)
        ),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        status=[
            StatusSlot(a.purpose, status_list_url(base, a.list_id), a.index) for a in allocations
        ],
        recipient_did=data.recipient.did,
        recipient_email=data.recipient.email,
        identity_salt=secrets.token_hex(8) if data.recipient.email else None,
        results=results,
        evidence=[e.model_dump(by_alias=True, exclude_none=True) for e in data.evidence],
        subject_extras=_subject_extras(data),
    )
    _sign(session, context, row, assemble_credential(parts), data.proof)


def _audit_event(
    principal: IssuerPrincipal, row: Credential, achievement: Achievement
) -> dict[str, Any]:
    """The audit row of an issuance."""
    return audit.event_row(
        actor=principal.actor,
        action="credential.issue",
        subject_type="credential",
        subject_id=row.id,
        issuer_id=row.issuer_id,
        signing_key_id=row.signing_key_id or row.jwt_signing_key_id,
        details={
            "achievement": str(achievement.lineage_id),
            "version": achievement.version,
            "proof": row.proof_format,
        },
    )


def _build(
    session: Session,
    context: AppContext,
    principal: IssuerPrincipal,
    data: CredentialIssue,
    idempotency_key: str | None,
    request_hash: str | None,
    *,
    suspension: bool | None = None,
) -> Credential:
    """Insert the row, take status slots, assemble, sign, store and audit (no commit).

    ``suspension``: whether the credential gets a suspension status entry besides the
    revocation one; None follows the issuer's ``suspension_enabled`` setting.
    """
    achievement = _achievement_for(session, principal.issuer_id, data)
    keep_loaded(session, achievement)  # the programs hook and the response read it by id
    valid_from = _valid_from(data)
    results = _results(data, achievement)
    row = _new_row(principal, achievement, data, valid_from, idempotency_key, request_hash)
    # Core INSERT/UPDATE instead of the unit of work (the ORM flush was the largest cost of an
    # issuance). The row must exist before the status slots that reference it.
    repository.insert_row(session, row)
    own_setting = suspension is None
    if suspension is None:
        suspension = issuers.suspension_enabled(session, row.issuer_id)
    allocations = status.allocate(
        session, context, row.issuer_id, row.id, suspension=suspension, remember=own_setting
    )
    _sign_row(session, context, row, achievement, data, allocations, results)
    repository.store_signed(session, row)
    audit.insert_row(session, _audit_event(principal, row, achievement))
    # The row is in the database as it is here: attach it as persistent (no second INSERT),
    # so seams that look the credential up by id in this session find it without a query.
    make_transient_to_detached(row)
    session.add(row)
    return row


def _issued_from(session: Session, row: Credential) -> Achievement:
    """The achievement version ``row`` was issued from (kept loaded by ``_build``: no query)."""
    achievement = session.get(Achievement, row.achievement_id)
    if achievement is None:  # pragma: no cover - the foreign key guarantees it
        raise LookupError(f"achievement {row.achievement_id} is missing")
    return achievement


ONE_STATEMENT_ATTEMPTS = 2
"""Attempts of the one-statement issuance. Status indexes never collide (each comes from a
list's counter through its permutation); a unique violation would mean a block was handed
out twice, so the worker's hint is dropped and the next attempt reserves afresh."""

MODULE_HINT_SECONDS = 60.0
_program_modules: TtlLru[uuid.UUID, bool] = TtlLru(4096)
"""Achievement lineages recently found to be program modules: their credentials take the
transactional path (it evaluates the programs) without trying the one-statement one first."""


def _issue_in_one_statement(
    session: Session,
    context: AppContext,
    principal: IssuerPrincipal,
    data: CredentialIssue,
    idempotency_key: str | None,
    request_hash: str | None,
) -> IssueOutcome | None:
    """The hot path: assemble and sign from this worker's hints, then write in one statement.

    Issuing is mostly waiting for round trips and paying for them in CPU; this path makes one
    (see :func:`repository.insert_issued`). The achievement version and the open status lists
    come from per-worker hints, which the statement re-checks in its own snapshot. None means
    "take the transactional path": a hint is missing or stale (that path refreshes them), the
    achievement is a program module (awards need more than one statement), or a hinted status
    list is full. Validation errors are raised as on the other path.
    """
    issuer_id = principal.issuer_id
    if not repository.supports_single_statement(session):
        return None
    achievement = achievements.issued_current_hint(issuer_id, data.achievement_id)
    if achievement is None or _program_modules.get(achievement.lineage_id):
        return None
    valid_from = _valid_from(data)
    results = _results(data, achievement)
    module_lineages = sorted(programs.counting_lineages(context, achievement))
    for _ in range(ONE_STATEMENT_ATTEMPTS):
        allocations = status.hinted_slots(session, issuer_id)
        if allocations is None:
            return None
        row = _new_row(principal, achievement, data, valid_from, idempotency_key, request_hash)
        _sign_row(session, context, row, achievement, data, allocations, results)
        rows = repository.IssuedRows(
            credential={name: getattr(row, name) for name in repository.CREDENTIAL_COLUMNS},
            allocations=[
                {
                    "id": uuid.uuid4(),
                    "list_id": a.list_id,
                    "index": a.index,
                    "credential_id": row.id,
                    "purpose": a.purpose,
                    "created_at": row.created_at,
                }
                for a in allocations
            ],
            audit=_audit_event(principal, row, achievement),
            module_lineages=module_lineages,
        )
        try:
            outcome = repository.insert_issued(session, rows)
        except repository.StatusIndexTaken:
            session.rollback()
            logger.warning("status index taken in a one-statement issuance; retrying")
            status.forget_open_lists(issuer_id)
            status.forget_reservations()
            continue
        if outcome.written:
            session.commit()
            return IssueOutcome(
                row, replayed=False, version=(achievement.lineage_id, achievement.version)
            )
        session.rollback()
        if not outcome.achievement_current:
            achievements.forget_current_hint(issuer_id, data.achievement_id)
        if not outcome.lists_open:
            status.forget_open_lists(issuer_id)
        if outcome.is_program_module:
            _program_modules.put(achievement.lineage_id, True, MODULE_HINT_SECONDS)
        return None
    status.forget_open_lists(issuer_id)
    return None


def issue_credential(
    session: Session,
    context: AppContext,
    principal: IssuerPrincipal,
    data: CredentialIssue,
    *,
    idempotency_key: str | None = None,
) -> IssueOutcome:
    """Issue one credential in one transaction; a retry with the same key replays it."""
    data = _in_language(session, context, principal, data)
    # Only a retry with the same key compares bodies; without a key nothing reads the digest.
    request_hash = _request_hash(data) if idempotency_key is not None else None
    if idempotency_key is not None and request_hash is not None:
        existing = _replay(session, principal.issuer_id, idempotency_key, request_hash)
        if existing is not None:
            return IssueOutcome(existing, replayed=True)
    try:
        fast = _issue_in_one_statement(
            session, context, principal, data, idempotency_key, request_hash
        )
        if fast is not None:
            _log_issued(fast.credential, principal)
            return fast
        row = _build(session, context, principal, data, idempotency_key, request_hash)
        programs.on_module_credential_issued(session, context, row)
        session.commit()
        achievements.remember_issued(_issued_from(session, row))
        _log_issued(row, principal)
    except IntegrityError:
        # Only the idempotency unique constraint can fail outside a savepoint: a concurrent
        # request with the same key won; answer as its retry would.
        session.rollback()
        if idempotency_key is None or request_hash is None:
            raise
        existing = _replay(session, principal.issuer_id, idempotency_key, request_hash)
        if existing is None:
            raise
        return IssueOutcome(existing, replayed=True)
    return IssueOutcome(row, replayed=False)


def _log_issued(row: Credential, principal: IssuerPrincipal) -> None:
    logger.info(
        "credential issued",
        extra={
            "credential_id": str(row.id),
            "issuer_id": str(row.issuer_id),
            "actor": principal.actor,
        },
    )


def _in_language(
    session: Session, context: AppContext, principal: IssuerPrincipal, data: CredentialIssue
) -> CredentialIssue:
    """The request retargeted to the achievement's version in the learner's language.

    OB 3.0 names are single strings, so each language is its own Achievement linked by
    ``related`` (``inLanguage``); the learner's language picks which one is signed.
    """
    if data.language is None:
        return data
    current = achievements.get_current(session, principal.issuer_id, data.achievement_id)
    own = {current.in_language: data.achievement_id} if current.in_language else {}
    versions = own | related_versions(context.settings.base_url, current.related or [])
    tag = pick_language(versions, data.language, "")
    if tag not in versions or tag.split("-")[0].lower() != data.language.split("-")[0].lower():
        raise Unprocessable(
            f"The achievement has no version in {data.language}; "
            f"available: {', '.join(sorted(versions)) or 'none'}.",
            field="$.language",
        )
    return data.model_copy(update={"achievement_id": versions[tag]})


def get_credential(session: Session, issuer_id: uuid.UUID, credential_id: uuid.UUID) -> Credential:
    """A credential of the issuer, or 404."""
    row = repository.get_for_issuer(session, issuer_id, credential_id)
    if row is None:
        raise CredentialNotFound("No such credential.")
    return row


def get_public_credential(session: Session, credential_id: uuid.UUID) -> Credential:
    """A credential for the public URLs; hidden ones are 404 (seam for app.web)."""
    row = repository.get(session, credential_id)
    if row is None or row.hidden:
        raise CredentialNotFound("No such credential.")
    return row


def _encode_cursor(row: Credential) -> str:
    raw = f"{row.created_at.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, _, ident = raw.partition("|")
        # Only an aware instant compares with the timestamptz column; a naive or
        # out-of-range one (a forged cursor) is as bad as garbage.
        when = datetime.fromisoformat(created)
        if when.tzinfo is None:
            raise ValueError("naive cursor timestamp")
        return when.astimezone(UTC), uuid.UUID(ident)
    except (ValueError, OverflowError) as exc:
        raise BadRequest("The cursor is not one this API returned.", field="query.cursor") from exc


def list_credentials(
    session: Session,
    issuer_id: uuid.UUID,
    filters: CredentialFilter,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[Sequence[Credential], str | None]:
    """A page of the issuer's credentials and the cursor of the next page."""
    after = _decode_cursor(cursor) if cursor else None
    rows = repository.list_page(
        session, issuer_id, filters, after=after, limit=limit + 1, now=datetime.now(UTC)
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    return rows, (_encode_cursor(rows[-1]) if has_more and rows else None)


def achievement_versions(
    session: Session, rows: Sequence[Credential]
) -> dict[uuid.UUID, tuple[uuid.UUID, int]]:
    """``(lineage_id, version)`` for the achievements of ``rows``."""
    return repository.achievement_versions(session, {r.achievement_id for r in rows})


def credential_state(row: Credential, now: datetime | None = None) -> str:
    """``revoked`` > ``suspended`` > ``expired`` > ``active``."""
    now = now or datetime.now(UTC)
    if row.revoked_at is not None:
        return "revoked"
    if row.suspended_at is not None:
        return "suspended"
    if row.valid_until is not None and row.valid_until <= now:
        return "expired"
    return "active"


def change_status(
    session: Session,
    context: AppContext,
    principal: IssuerPrincipal,
    credential_id: uuid.UUID,
    kind: str,
    reason: str | None,
) -> Credential:
    """Revoke, suspend or unsuspend; the list is re-signed before this returns.

    Repeating a change that is already in effect is a no-op (retry-safe); suspending or
    unsuspending a revoked credential is a conflict (revocation is final).
    """
    row = repository.get_for_issuer(session, principal.issuer_id, credential_id, for_update=True)
    if row is None:
        raise CredentialNotFound("No such credential.")
    if kind != "revocation" and not status.has_entry(session, row.id, "suspension"):
        raise status.NoStatusEntry(
            "The credential was issued without a suspension status entry (its issuer had "
            "suspension disabled: OB 3.0 allows one credentialStatus), so it cannot be "
            "suspended or unsuspended; revoke it instead."
        )
    if _already(row, kind):
        return row
    if row.revoked_at is not None:
        raise _RevokedConflict("The credential is revoked; revocation cannot be undone.")
    now = datetime.now(UTC)
    purpose = "revocation" if kind == "revocation" else "suspension"
    status.set_bit(session, context, row.id, purpose, kind != "unsuspension")
    if kind == "revocation":
        row.revoked_at = now
    else:
        row.suspended_at = now if kind == "suspension" else None
    session.add(StatusEvent(credential_id=row.id, kind=kind, reason=reason, actor=principal.actor))
    logger.info(
        "credential status changed",
        extra={"credential_id": str(row.id), "kind": kind, "actor": principal.actor},
    )
    if kind == "revocation":
        programs.on_module_credential_revoked(session, context, row)
    elif kind == "unsuspension":
        programs.on_module_credential_issued(session, context, row)
    audit.record(
        session,
        actor=principal.actor,
        action=f"credential.{kind}",
        subject_type="credential",
        subject_id=row.id,
        issuer_id=row.issuer_id,
        details={"reason": reason},
    )
    session.commit()
    return row


class _RevokedConflict(AppError):
    status, title, code = 409, "Credential revoked", "credential_revoked"


def _already(row: Credential, kind: str) -> bool:
    """True when the requested state is already the current one."""
    if kind == "revocation":
        return row.revoked_at is not None
    if kind == "suspension":
        return row.revoked_at is None and row.suspended_at is not None
    return row.revoked_at is None and row.suspended_at is None


def to_read(
    context: AppContext,
    row: Credential,
    version: tuple[uuid.UUID, int],
    *,
    with_document: bool = False,
) -> CredentialRead:
    """The API view of a credential; the signed document only when asked for."""
    base = context.settings.base_url
    url = credential_url(base, row.id)
    return CredentialRead(
        id=row.id,
        url=url,
        json_url=f"{url}.json",
        jwt_url=f"{url}.jwt" if row.jwt else None,
        achievement_id=version[0],
        achievement_version=version[1],
        recipient=RecipientRead(
            email=row.recipient_email, name=row.recipient_name, did=row.recipient_did
        ),
        proof_format=row.proof_format,
        status=credential_state(row),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        revoked_at=row.revoked_at,
        suspended_at=row.suspended_at,
        created_at=row.created_at,
        credential=json.loads(row.document) if with_document else None,
        jwt=row.jwt if with_document else None,
    )


def read_one(
    session: Session, context: AppContext, row: Credential, *, with_document: bool = True
) -> CredentialRead:
    """``to_read`` for a single row (looks its achievement version up)."""
    version = repository.achievement_version(session, row.achievement_id)
    return to_read(context, row, version, with_document=with_document)


def read_one_json(
    session: Session,
    context: AppContext,
    row: Credential,
    version: tuple[uuid.UUID, int] | None = None,
) -> bytes:
    """``read_one`` as JSON bytes, the stored signed text spliced in unparsed.

    Parsing the document only to serialise it again was the largest cost of the issuance
    response. ``credential`` and ``jwt`` are the last fields of ``CredentialRead``, so the
    output has the same members in the same order.
    """
    if version is None:
        version = repository.achievement_version(session, row.achievement_id)
    head = to_read(context, row, version).model_dump_json(
        by_alias=True, exclude={"credential", "jwt"}
    )
    return f'{head[:-1]},"credential":{row.document},"jwt":{json.dumps(row.jwt)}}}'.encode()
