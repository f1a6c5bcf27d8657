"""The one issuance pipeline: facts → assemble → sign → write, then ``CredentialIssued``.

Every credential is issued here: by ``POST /api/v1/credentials`` (:func:`issue_credential`,
which commits), by program awards and, next, by cohort jobs (:func:`issue_in_transaction`,
inside the caller's transaction, many requests at once). One row shape
(:class:`~app.credentials.repository.IssuedRows`: the credential, its status allocations, its
audit row) goes to one writer in one of two forms:

- the **one-statement form** (PostgreSQL, a warm worker): the facts come from this worker's
  hints (the achievement version believed current, the issuer's open status lists and
  positions reserved in them), and :func:`repository.insert_issued` writes everything in one
  statement whose guard re-checks every hint in its own snapshot;
- the **transactional form**: the facts are read fresh (row-locked achievement version,
  status positions taken in the transaction) and :func:`repository.write_issued` inserts the
  rows of a whole batch, then ``CredentialIssued`` is recorded, whose in-transaction
  subscribers (program awards) run before the commit.

A stale hint is not an error: the request is prepared again from fresh facts and written in
a transaction, through the same assemble and sign steps.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from app.achievements import service as achievements
from app.achievements.languages import language_lineages, pick_language, related_versions
from app.achievements.results import validate_results
from app.audit import service as audit
from app.core import events
from app.core.context import AppContext
from app.core.db import keep_loaded
from app.core.errors import AppError, NotFound, Unprocessable
from app.core.security import IssuerPrincipal
from app.core.urls import credential_url, status_list_url
from app.credentials import repository, seal
from app.credentials.assemble import CredentialParts, StatusSlot, assemble_credential, xsd_datetime
from app.credentials.schemas import CredentialIssue
from app.endorsements import service as endorsements
from app.events import CredentialIssued
from app.hot.issuing import PROGRAM_MODULE_HINT_S, program_modules
from app.issuers import service as issuers
from app.models import Achievement, Credential
from app.models.base import utcnow
from app.outbox import service as outbox
from app.signing_keys import service as keys
from app.status import service as status
from openbadges.errors import OpenBadgesError
from openbadges.jsonld.shared import SharedParts

logger = logging.getLogger("app.credentials")


class IdempotencyKeyReused(AppError):
    """The Idempotency-Key was used before with a different request body."""

    status, title, code = 422, "Idempotency key reused", "idempotency_key_reused"


@dataclass(frozen=True, slots=True)
class IssueRequest:
    """One credential to issue, as the pipeline takes it from any caller.

    ``suspension``: whether the credential gets a suspension status entry besides the
    revocation one; None follows the issuer's ``suspension_enabled`` setting (a program that
    suspends its award when a module is revoked asks for True).
    """

    issuer_id: uuid.UUID
    actor: str
    data: CredentialIssue
    idempotency_key: str | None = None
    request_hash: str | None = None
    suspension: bool | None = None
    program_award: bool = False
    """Issued by a program for completing it (programs do not react to their own awards)."""
    bound_from: uuid.UUID | None = None
    """A copy of this credential, bound to a holder's DID (``credentials.bound_from_id``):
    the same achievement for the same learner, so programs do not count it again."""
    achievement_version: uuid.UUID | None = None
    """Issue from this version of the achievement rather than the current one (a bound copy
    repeats its original's)."""


@dataclass(frozen=True, slots=True)
class IssueOutcome:
    """The credential, and whether it was replayed from an earlier identical request."""

    credential: Credential
    replayed: bool
    version: tuple[uuid.UUID, int] | None = None
    """``(lineage_id, version)`` of the achievement, when known without a query."""


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A signed credential ready for the writer: the row object and its row shape."""

    row: Credential
    achievement: Achievement
    rows: repository.IssuedRows


def request_hash(data: CredentialIssue) -> str:
    """A digest of the request body's meaning (member order and defaults do not matter).

    ``notify`` counts only when false: digests stored before it existed stay valid for the
    same body (an Idempotency-Key retry across the upgrade still replays)."""
    body = data.model_dump(mode="json")
    if body.get("notify") is True:
        del body["notify"]
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- validation ------------------------------------------------------------------------------


def _valid_from(data: CredentialIssue) -> datetime:
    """validFrom in whole UTC seconds (now by default); validUntil must come after it."""
    valid_from = (data.valid_from or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if data.valid_until is not None and data.valid_until <= valid_from:
        raise Unprocessable("validUntil must be later than validFrom.", field="$.validUntil")
    return valid_from


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


def in_language(
    session: Session, context: AppContext, issuer_id: uuid.UUID, data: CredentialIssue
) -> CredentialIssue:
    """The request retargeted to the achievement's version in the learner's language.

    OB 3.0 names are single strings, so each language is its own Achievement linked by
    ``related`` (``inLanguage``); the learner's language picks which one is signed.
    """
    if data.language is None:
        return data
    current = achievements.get_current(session, issuer_id, data.achievement_id)
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


def _current_achievement(
    session: Session, issuer_id: uuid.UUID, data: CredentialIssue
) -> Achievement:
    """The current achievement version (row-locked until commit), or 422 naming the field."""
    try:
        return achievements.current_for_issuing(session, issuer_id, data.achievement_id)
    except NotFound:
        raise Unprocessable(
            "No such achievement for this issuer.", field="$.achievementId"
        ) from None


# --- assemble and sign -----------------------------------------------------------------------


def _new_row(request: IssueRequest, achievement: Achievement, valid_from: datetime) -> Credential:
    """The credential row before signing (transient: not in any session)."""
    data = request.data
    return Credential(
        id=uuid.uuid4(),
        issuer_id=request.issuer_id,
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
        idempotency_key=request.idempotency_key,
        request_hash=request.request_hash,
        bound_from_id=request.bound_from,
        canonical_seal=None,
        created_at=utcnow(),
    )


def _sign(
    session: Session,
    context: AppContext,
    row: Credential,
    unsigned: dict[str, Any],
    proof: str,
    shared: SharedParts | None = None,
) -> None:
    """Attach the requested proofs; DI first, then the JWT over the DI-signed credential.

    A Data Integrity proof's canonical digest is kept on the row, sealed to the stored text
    (:mod:`app.credentials.seal`), so the page can check the proof without canonicalising.
    """
    document = unsigned
    digest = None
    try:
        if proof in ("data-integrity", "both"):
            key = keys.active_key(session, row.issuer_id, keys.DATA_INTEGRITY)
            document, digest = keys.sign_data_integrity_with_digest(context, key, unsigned, shared)
            row.signing_key_id = key.id
        if proof in ("jwt", "both"):
            jwt_key = keys.active_key(session, row.issuer_id, keys.JWT)
            row.jwt = keys.sign_jwt(context, jwt_key, document)
            row.jwt_signing_key_id = jwt_key.id
    except OpenBadgesError as exc:
        raise Unprocessable(exc.message, field=exc.path or "$") from exc
    row.document = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    if digest is not None:
        row.canonical_seal = seal.make(context.keystore, row.id, row.document, digest)


@dataclass(frozen=True, slots=True)
class _Embedded:
    """What every credential of one issuer and achievement version embeds alike: built once
    per call (a batch chunk shares it; nothing downstream changes these documents).

    ``shared`` (for a call of several credentials) lets signing walk the two objects once for
    the whole call rather than once per credential.
    """

    profile: dict[str, Any]
    achievement: dict[str, Any]
    shared: SharedParts | None = None


def _embedded(
    session: Session,
    context: AppContext,
    issuer_id: uuid.UUID,
    achievement: Achievement,
    *,
    many: bool = False,
) -> _Embedded:
    base = context.settings.base_url
    profile = issuers.cached_embedded_profile(session, context, issuer_id)
    document = endorsements.with_endorsements(
        session, achievements.achievement_document(base, achievement)
    )
    shared = SharedParts([profile, document]) if many else None
    return _Embedded(profile=profile, achievement=document, shared=shared)


def _parts(
    context: AppContext,
    row: Credential,
    embedded: _Embedded,
    data: CredentialIssue,
    results: list[dict[str, Any]],
    slots: Sequence[status.Allocation],
) -> CredentialParts:
    """What the credential says: the facts gathered for ``row``."""
    base = context.settings.base_url
    return CredentialParts(
        credential_url=credential_url(base, row.id),
        issuer_profile=embedded.profile,
        achievement=embedded.achievement,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        status=[StatusSlot(s.purpose, status_list_url(base, s.list_id), s.index) for s in slots],
        recipient_did=data.recipient.did,
        recipient_email=data.recipient.email,
        identity_salt=secrets.token_hex(8) if data.recipient.email else None,
        results=results,
        evidence=[e.model_dump(by_alias=True, exclude_none=True) for e in data.evidence],
        subject_extras=_subject_extras(data),
    )


def _prepare(
    session: Session,
    context: AppContext,
    request: IssueRequest,
    achievement: Achievement,
    valid_from: datetime,
    results: list[dict[str, Any]],
    slots: Sequence[status.Allocation],
    embedded: _Embedded | None = None,
) -> _Prepared:
    """Assemble the credential from its facts, sign it, and shape the rows the writer takes."""
    data = request.data
    base = context.settings.base_url
    row = _new_row(request, achievement, valid_from)
    if embedded is None:
        embedded = _embedded(session, context, request.issuer_id, achievement)
    parts = _parts(context, row, embedded, data, results, slots)
    _sign(session, context, row, assemble_credential(parts), data.proof, embedded.shared)
    rows = repository.IssuedRows(
        credential={name: getattr(row, name) for name in repository.CREDENTIAL_COLUMNS},
        allocations=[
            {
                "id": uuid.uuid4(),
                "list_id": s.list_id,
                "index": s.index,
                "credential_id": row.id,
                "purpose": s.purpose,
                "created_at": row.created_at,
            }
            for s in slots
        ],
        audit=audit.event_row(
            actor=request.actor,
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
        ),
        outbox=outbox.issued_row(
            credential_id=row.id,
            issuer_id=row.issuer_id,
            achievement_id=achievement.id,
            actor=request.actor,
            notify=_notify(request),
            program_award=request.program_award,
            language=request.data.language,
            bound_from=request.bound_from,
        ),
        module_lineages=sorted(language_lineages(base, achievement)),
    )
    return _Prepared(row, achievement, rows)


def _notify(request: IssueRequest) -> bool:
    """Whether the learner is to be told of this issuance (the request's ``notify``)."""
    return bool(getattr(request.data, "notify", True))


def _issued_event(
    prepared: _Prepared, request: IssueRequest, *, in_statement: bool
) -> CredentialIssued:
    row, achievement = prepared.row, prepared.achievement
    return CredentialIssued(
        credential_id=row.id,
        issuer_id=row.issuer_id,
        achievement_id=achievement.id,
        lineage_id=achievement.lineage_id,
        version=achievement.version,
        actor=request.actor,
        in_statement=in_statement,
        program_award=request.program_award,
        bound_copy=request.bound_from is not None,
        notify=_notify(request),
        row=row,
        achievement=achievement,
    )


# --- the two forms of the writer ---------------------------------------------------------------

ONE_STATEMENT_ATTEMPTS = 2
"""Attempts of the one-statement form. Status indexes never collide (each comes from a list's
counter through its permutation); a unique violation would mean a block was handed out twice,
so the worker's reservations are dropped and the next attempt reserves afresh."""


def _issue_in_one_statement(
    session: Session, context: AppContext, request: IssueRequest
) -> IssueOutcome | None:
    """The writer's fast form: prepare from this worker's hints, write in one statement.

    Issuing is mostly waiting for round trips and paying for them in CPU; this form makes one
    (see :func:`repository.insert_issued`). None means "prepare from fresh facts and write in a
    transaction": a hint is missing or stale (dropped here; that path refreshes it), the
    achievement is a program module (its awards need the in-transaction subscribers), or a
    hinted list is full. Validation errors are raised as on the other path.
    """
    issuer_id, data = request.issuer_id, request.data
    if not repository.supports_single_statement(session):
        return None
    achievement = achievements.issued_current_hint(issuer_id, data.achievement_id)
    if achievement is None or program_modules.get(achievement.lineage_id):
        return None
    valid_from = _valid_from(data)
    results = _results(data, achievement)
    for _ in range(ONE_STATEMENT_ATTEMPTS):
        slots = status.hinted_slots(session, issuer_id)
        if slots is None:
            return None
        prepared = _prepare(session, context, request, achievement, valid_from, results, slots)
        try:
            outcome = repository.insert_issued(session, prepared.rows)
        except repository.StatusIndexTaken:
            session.rollback()
            logger.warning("status index taken in a one-statement issuance; retrying")
            status.forget_open_lists(issuer_id)
            status.forget_reservations()
            continue
        if outcome.written:
            # Durable already (autocommit), or committed here when the statement joined the
            # session's transaction: either way the event's after-commit subscribers run now.
            events.record(session, _issued_event(prepared, request, in_statement=True))
            session.commit()
            return IssueOutcome(
                prepared.row,
                replayed=False,
                version=(achievement.lineage_id, achievement.version),
            )
        session.rollback()
        if not outcome.achievement_current:
            achievements.forget_current_hint(issuer_id, data.achievement_id)
        if not outcome.lists_open:
            status.forget_open_lists(issuer_id)
        if outcome.is_program_module:
            program_modules.put(achievement.lineage_id, True, PROGRAM_MODULE_HINT_S)
        return None
    status.forget_open_lists(issuer_id)
    return None


def issue_in_transaction(
    session: Session, context: AppContext, requests: Sequence[IssueRequest]
) -> list[Credential]:
    """Issue every request inside the caller's transaction (no commit): the transactional form.

    Fresh facts (each achievement version row-locked until the commit, status positions taken
    in this transaction), one write of all rows, then one ``CredentialIssued`` per credential,
    whose in-transaction subscribers (program awards) run before the caller commits. The
    credentials come back in request order, attached to the session. A request with a
    ``language`` must already be retargeted (:func:`in_language`) before its hash is taken.
    """
    session.info.setdefault("context", context)  # in-transaction subscribers read it
    prepared: list[_Prepared] = []
    # Facts shared by the requests of one call are read once (a batch names one achievement).
    versions: dict[tuple[uuid.UUID, uuid.UUID], Achievement] = {}
    settings: dict[uuid.UUID, bool] = {}
    facts: list[tuple[IssueRequest, Achievement, bool]] = []
    for request in requests:
        key = (request.issuer_id, request.data.achievement_id)
        if request.achievement_version is not None:
            key = (request.issuer_id, request.achievement_version)
        achievement = versions.get(key)
        if achievement is None:
            achievement = (
                achievements.version_for_issuing(
                    session, request.issuer_id, request.achievement_version
                )
                if request.achievement_version is not None
                else _current_achievement(session, request.issuer_id, request.data)
            )
            versions[key] = achievement
            keep_loaded(session, achievement)  # subscribers and the response read it by id
        suspension = request.suspension
        if suspension is None:
            if request.issuer_id not in settings:
                settings[request.issuer_id] = issuers.suspension_enabled(session, request.issuer_id)
            suspension = settings[request.issuer_id]
        facts.append((request, achievement, suspension))
    wanted = Counter((r.issuer_id, suspension) for r, _, suspension in facts)
    for (issuer_id, suspension), count in wanted.items():
        status.reserve_ahead(session, issuer_id, status.purposes_for(suspension), count)
    shared: dict[tuple[uuid.UUID, uuid.UUID], _Embedded] = {}
    for request, achievement, suspension in facts:
        data = request.data
        key = (request.issuer_id, achievement.id)
        if key not in shared:
            shared[key] = _embedded(
                session, context, request.issuer_id, achievement, many=len(requests) > 1
            )
        valid_from = _valid_from(data)
        results = _results(data, achievement)
        slots = status.take_slots(
            session,
            context,
            request.issuer_id,
            suspension=suspension,
            remember=request.suspension is None,
        )
        prepared.append(
            _prepare(
                session, context, request, achievement, valid_from, results, slots, shared[key]
            )
        )
    repository.write_issued(session, [p.rows for p in prepared])
    for item, request in zip(prepared, requests, strict=True):
        # The row is in the database as it is here: attach it as persistent (no second
        # INSERT), so seams that look the credential up by id in this session find it.
        make_transient_to_detached(item.row)
        session.add(item.row)
        events.record(session, _issued_event(item, request, in_statement=False))
    return [p.row for p in prepared]


def preview(
    session: Session, context: AppContext, issuer_id: uuid.UUID, data: CredentialIssue
) -> dict[str, Any]:
    """The credential ``data`` would give, assembled and unsigned, without status entries
    (a dry run: no position is reserved, nothing is written; the caller rolls back)."""
    data = in_language(session, context, issuer_id, data)
    achievement = _current_achievement(session, issuer_id, data)
    valid_from = _valid_from(data)
    results = _results(data, achievement)
    request = IssueRequest(issuer_id, "preview", data)
    row = _new_row(request, achievement, valid_from)
    embedded = _embedded(session, context, issuer_id, achievement)
    return assemble_credential(_parts(context, row, embedded, data, results, []))


# --- the API entry -----------------------------------------------------------------------------


def _replay(session: Session, issuer_id: uuid.UUID, key: str, digest: str) -> Credential | None:
    """The earlier credential for this key, or 422 when the body differs."""
    existing = repository.by_idempotency_key(session, issuer_id, key)
    if existing is not None and existing.request_hash != digest:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request body.",
            field="header.Idempotency-Key",
        )
    return existing


def issue_credential(
    session: Session,
    context: AppContext,
    principal: IssuerPrincipal,
    data: CredentialIssue,
    *,
    idempotency_key: str | None = None,
) -> IssueOutcome:
    """Issue one credential and commit; a retry with the same Idempotency-Key replays it."""
    issuer_id = principal.issuer_id
    if data.language is not None:
        data = in_language(session, context, issuer_id, data)
    # Only a retry with the same key compares bodies; without a key nothing reads the digest.
    digest = request_hash(data) if idempotency_key is not None else None
    if idempotency_key is not None and digest is not None:
        existing = _replay(session, issuer_id, idempotency_key, digest)
        if existing is not None:
            return IssueOutcome(existing, replayed=True)
    request = IssueRequest(issuer_id, principal.actor, data, idempotency_key, digest)
    try:
        fast = _issue_in_one_statement(session, context, request)
        if fast is not None:
            _log_issued(fast.credential, principal.actor)
            return fast
        for attempt in range(2):
            try:
                (row,) = issue_in_transaction(session, context, [request])
                session.commit()
                break
            except repository.StatusIndexTaken:
                # Never expected (the counter and the permutation hand each index out once):
                # drop this worker's reservations and hints and take fresh positions once.
                session.rollback()
                status.forget_open_lists(issuer_id)
                status.forget_reservations()
                if attempt:
                    raise
        _log_issued(row, principal.actor)
    except IntegrityError:
        # Only the idempotency unique constraint can fail here: a concurrent request with the
        # same key won; answer as its retry would.
        session.rollback()
        if idempotency_key is None or digest is None:
            raise
        existing = _replay(session, issuer_id, idempotency_key, digest)
        if existing is None:
            raise
        return IssueOutcome(existing, replayed=True)
    return IssueOutcome(row, replayed=False)


def _log_issued(row: Credential, actor: str) -> None:
    logger.info(
        "credential issued",
        extra={"credential_id": str(row.id), "issuer_id": str(row.issuer_id), "actor": actor},
    )


def _remember_issued_version(event: CredentialIssued) -> None:
    """After the commit: the version a committed credential was issued from is never edited
    again, so this worker may keep it (the one-statement form's achievement hint)."""
    if event.achievement is not None:
        achievements.remember_issued(event.achievement)


def subscribe() -> None:
    """The pipeline's own after-commit subscriber (called by :func:`app.wiring.subscribe_all`)."""
    events.subscribe_after_commit(CredentialIssued, _remember_issued_version)
