"""Batches: validate every row first, then issue them in the background, resumably.

A batch is created only when every row is valid (or ``skipInvalid`` says to leave the invalid
ones out): the rows are stored with the batch and ``BatchQueued`` is recorded, whose
after-commit subscriber wakes a job runner (:mod:`app.jobs`). Any number of workers then run
:func:`process_batch`: each leases a chunk of pending rows, issues them through the one
issuance pipeline (:func:`app.credentials.issuing.issue_in_transaction`, so program awards and
every other subscriber react as for single issuance) and marks them issued in the same
transaction. A worker killed halfway loses nothing: its uncommitted chunk rolls back and its
leases expire; no row is issued twice: a row's credential carries the idempotency key
``batch:<batch id>:<row key>``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.achievements import service as achievements
from app.achievements.languages import language_lineages
from app.audit import service as audit
from app.batches import repository
from app.batches.input import Table
from app.batches.rows import RowError, ValidRow, validate_rows
from app.batches.schemas import BatchOptions, BatchPreview, BatchRead, RowErrorRead
from app.core import events
from app.core.context import AppContext
from app.core.errors import AppError, Conflict, NotFound, Unprocessable
from app.core.security import IssuerPrincipal
from app.credentials import issuing
from app.credentials import repository as credentials_repository
from app.credentials.schemas import CredentialIssue
from app.events import BatchCompleted, BatchQueued
from app.models import Achievement, Batch
from app.models.base import utcnow

logger = logging.getLogger("app.batches")

CHUNK_ROWS = 250
"""Most rows a worker issues in one transaction (one multi-row write per table)."""
MIN_CHUNK_ROWS = 25
"""Fewest rows a worker claims while more are left (the end of a batch)."""
LEASE_S = 120.0
"""How long a claimed chunk stays a worker's: a chunk takes well under a second per 100 rows,
so a lease this long runs out only when its worker is gone."""
QUIET_S = 30.0
"""A queued or running batch with claimable rows and no chunk committed for this long has no
live worker: the sweep dispatches it again."""
PREVIEW_ROWS = 50
"""Parsed rows a dry run returns (the counts cover all of them)."""


class BatchNotFound(NotFound):
    """No such batch for this issuer."""


def _row_key_idempotency(batch_id: uuid.UUID, row_key: str) -> str:
    return f"batch:{batch_id}:{row_key}"


def _error_dict(error: RowError) -> dict[str, Any]:
    return {"row": error.row, "column": error.column, "message": error.message}


@dataclass(frozen=True, slots=True)
class Sorted:
    """The rows of an upload after validation and the duplicate check."""

    valid: list[ValidRow]
    skipped: list[ValidRow]
    errors: list[RowError]
    header_row: int | None = 1
    """The sheet row naming the columns (None for JSON rows)."""

    def _is_row(self, error: RowError) -> bool:
        return error.row is not None and error.row != self.header_row

    @property
    def invalid_rows(self) -> list[int]:
        """The data rows with a problem (the header and whole-upload problems are not rows)."""
        return sorted({e.row for e in self.errors if e.row is not None and self._is_row(e)})

    @property
    def file_errors(self) -> list[RowError]:
        """Problems of the header or of the whole upload: no row can be left out for them."""
        return [e for e in self.errors if not self._is_row(e)]


def _sort_rows(
    session: Session,
    issuer_id: uuid.UUID,
    lineages: set[uuid.UUID],
    outcomes: Iterable[ValidRow | RowError],
    duplicates: str,
    header_row: int | None,
) -> Sorted:
    """Split the outcomes; apply the duplicate policy against credentials already issued."""
    valid: list[ValidRow] = []
    errors: list[RowError] = []
    for outcome in outcomes:
        if isinstance(outcome, RowError):
            errors.append(outcome)
        else:
            valid.append(outcome)
    if duplicates == "allow" or not valid:
        return Sorted(valid, [], errors, header_row)
    emails = [v.request.recipient.email for v in valid if v.request.recipient.email]
    dids = [v.request.recipient.did for v in valid if v.request.recipient.did]
    found_emails, found_dids = repository.already_issued(session, issuer_id, lineages, emails, dids)
    kept: list[ValidRow] = []
    skipped: list[ValidRow] = []
    for row in valid:
        recipient = row.request.recipient
        column = (
            "email"
            if recipient.email in found_emails
            else "did"
            if recipient.did in found_dids
            else None
        )
        if column is None:
            kept.append(row)
        elif duplicates == "skip":
            skipped.append(row)
        else:
            errors.append(
                RowError(row.number, column, "already holds a credential of this achievement")
            )
    return Sorted(kept, skipped, errors, header_row)


def current_achievement(
    session: Session, issuer_id: uuid.UUID, lineage: uuid.UUID, *, field: str = "$.achievementId"
) -> Achievement:
    """The achievement's current version, or 422 naming ``field`` (also for another issuer's)."""
    try:
        return achievements.get_current(session, issuer_id, lineage)
    except NotFound:
        raise Unprocessable("No such achievement for this issuer.", field=field) from None


def create_batch(
    session: Session,
    context: AppContext,
    principal: IssuerPrincipal,
    options: BatchOptions,
    validate: Callable[[Any], Iterable[ValidRow | RowError]],
    *,
    source_name: str | None = None,
    header_row: int | None = 1,
) -> Batch | BatchPreview:
    """Validate every row, then create the queued batch (or, ``dryRun``, only describe it).

    ``validate(achievement)`` yields each row's outcome (the caller binds the parsed upload);
    ``header_row`` is the sheet row naming the columns (None for JSON rows), whose problems
    no ``skipInvalid`` can leave out.
    Any invalid row is a 422 listing every problem by row and column, and nothing is created,
    unless ``skipInvalid``: then the invalid rows are recorded as failed and the rest issued.
    """
    issuer_id = principal.issuer_id
    achievement = current_achievement(session, issuer_id, options.achievement_id)
    lineages = language_lineages(context.settings.base_url, achievement)
    rows = _sort_rows(
        session, issuer_id, lineages, validate(achievement), options.duplicates, header_row
    )
    if rows.errors and (rows.file_errors or not options.skip_invalid) and not options.dry_run:
        first = rows.errors[0]
        raise Unprocessable(
            f"{len(rows.invalid_rows)} row(s) are invalid; nothing was issued. "
            f"Row {first.row}, {first.column or 'row'}: {first.message}",
            field="rows",
            errors=[_error_dict(e) for e in rows.errors],
        )
    if options.dry_run:
        return _preview(session, context, principal, options, rows)
    if not rows.valid and not rows.skipped:
        raise Unprocessable("No row can be issued.", field="rows")
    failed = rows.invalid_rows if options.skip_invalid else []
    batch = Batch(
        id=uuid.uuid4(),
        issuer_id=issuer_id,
        achievement_lineage_id=options.achievement_id,
        proof=options.proof,
        duplicates=options.duplicates,
        actor=principal.actor,
        source_name=source_name,
        state="queued" if rows.valid else "completed",
        total=len(rows.valid) + len(rows.skipped) + len(failed),
        issued=0,
        skipped=len(rows.skipped),
        failed=len(failed),
    )
    repository.add_batch(session, batch)
    messages: dict[int, list[str]] = {}
    for error in rows.errors:
        if error.row is None:
            continue
        messages.setdefault(error.row, []).append(f"{error.column or 'row'}: {error.message}")
    repository.insert_rows(
        session,
        [_row(batch.id, r, "pending", notify=options.notify) for r in rows.valid]
        + [_row(batch.id, r, "skipped", notify=options.notify) for r in rows.skipped]
        + [
            {
                "batch_id": batch.id,
                "number": number,
                "row_key": f"row-{number}",
                "request": {},
                "state": "failed",
                "credential_id": None,
                "error": "; ".join(messages[number]),
            }
            for number in failed
        ],
    )
    audit.record(
        session,
        actor=principal.actor,
        action="batch.create",
        subject_type="batch",
        subject_id=batch.id,
        issuer_id=issuer_id,
        details={
            "achievement": str(options.achievement_id),
            "rows": batch.total,
            "skipped": batch.skipped,
            "invalid": batch.failed,
        },
    )
    if rows.valid:
        events.record(session, BatchQueued(batch_id=batch.id, issuer_id=issuer_id))
    session.commit()
    return batch


def create_from_table(
    session: Session,
    context: AppContext,
    principal: IssuerPrincipal,
    options: BatchOptions,
    table: Table,
    *,
    source_name: str | None = None,
) -> Batch | BatchPreview:
    """:func:`create_batch` for a parsed upload (the API's and the CLI's one way in)."""

    def validate(achievement: Any) -> Iterable[ValidRow | RowError]:
        return validate_rows(
            table,
            achievement,
            base_url=context.settings.base_url,
            proof=options.proof,
            allow_duplicate_recipients=options.duplicates == "allow",
        )

    return create_batch(
        session,
        context,
        principal,
        options,
        validate,
        source_name=source_name,
        header_row=table.header_row,
    )


def _row(batch_id: uuid.UUID, row: ValidRow, state: str, *, notify: bool) -> dict[str, Any]:
    request = row.request.model_copy(update={"notify": notify})  # the batch's e-mail option
    return {
        "batch_id": batch_id,
        "number": row.number,
        "row_key": row.row_key,
        "request": request.model_dump(mode="json", by_alias=True, exclude_none=True),
        "state": state,
        "credential_id": None,
        "error": "already holds a credential of this achievement" if state == "skipped" else None,
    }


def _preview(
    session: Session,
    context: AppContext,
    principal: IssuerPrincipal,
    options: BatchOptions,
    rows: Sorted,
) -> BatchPreview:
    """What the batch would issue: counts, the first rows, the first credential unsigned."""
    first = None
    if rows.valid:
        data = rows.valid[0].request.model_copy(update={"proof": options.proof})
        first = issuing.preview(session, context, principal.issuer_id, data)
    session.rollback()  # a preview reads; nothing it touched is kept
    return BatchPreview(
        total=len(rows.valid) + len(rows.skipped) + len(rows.invalid_rows),
        valid=len(rows.valid),
        skipped=len(rows.skipped),
        invalid=len(rows.invalid_rows),
        rows=[
            {
                "row": r.number,
                "rowKey": r.row_key,
                **r.request.model_dump(mode="json", by_alias=True, exclude_none=True),
            }
            for r in rows.valid[:PREVIEW_ROWS]
        ],
        errors=[RowErrorRead.model_validate(_error_dict(e)) for e in rows.errors],
        first_credential=first,
        note="Nothing was created. The credential is shown as it would be signed, without its "
        "proof; its id, dates and status list entry are assigned when it is issued.",
    )


# --- reads and cancel ---------------------------------------------------------------------


def get_batch(session: Session, issuer_id: uuid.UUID, batch_id: uuid.UUID) -> Batch:
    batch = repository.get_for_issuer(session, issuer_id, batch_id)
    if batch is None:
        raise BatchNotFound("No such batch.")
    return batch


def list_batches(
    session: Session, issuer_id: uuid.UUID, *, limit: int, offset: int
) -> Sequence[Batch]:
    return repository.list_for_issuer(session, issuer_id, limit=limit, offset=offset)


def to_read(
    context: AppContext, session: Session, batch: Batch, *, errors: bool = False
) -> BatchRead:
    """The API view; with ``errors``, every failed row's message."""
    failed: list[RowErrorRead] = []
    if errors and batch.failed:
        failed = [
            RowErrorRead(row=number, column=None, message=error or "failed")
            for number, error in repository.failed_rows(session, batch.id)
        ]
    base = context.settings.base_url
    return BatchRead(
        id=batch.id,
        achievement_id=batch.achievement_lineage_id,
        state=batch.state,
        proof=batch.proof,
        duplicates=batch.duplicates,
        source_name=batch.source_name,
        total=batch.total,
        issued=batch.issued,
        skipped=batch.skipped,
        failed=batch.failed,
        created_at=batch.created_at,
        started_at=batch.started_at,
        finished_at=batch.finished_at,
        results_url=f"{base}/api/v1/batches/{batch.id}/results.csv",
        errors=failed,
    )


class BatchFinished(Conflict):
    """The batch has finished: there is nothing left to cancel."""


def cancel_batch(session: Session, principal: IssuerPrincipal, batch_id: uuid.UUID) -> Batch:
    """Stop issuing: pending rows become cancelled (a chunk in flight still commits)."""
    batch = repository.get(session, batch_id, for_update=True)
    if batch is None or batch.issuer_id != principal.issuer_id:
        raise BatchNotFound("No such batch.")
    if batch.state == "cancelled":
        return batch
    if batch.state in ("completed", "failed"):
        raise BatchFinished(f"The batch is {batch.state}; there is nothing to cancel.")
    repository.cancel_pending(session, batch.id)
    batch.state = "cancelled"
    batch.finished_at = batch.finished_at or utcnow()
    audit.record(
        session,
        actor=principal.actor,
        action="batch.cancel",
        subject_type="batch",
        subject_id=batch.id,
        issuer_id=batch.issuer_id,
    )
    session.commit()
    return batch


def result_rows(session: Session, batch: Batch, base_url: str) -> list[dict[str, Any]]:
    """Per row: its number, key, state, the credential's id, URL and state, the error."""
    out = []
    for r in repository.results(session, batch.id):
        credential_state = None
        if r.credential_id is not None:
            credential_state = (
                "revoked" if r.revoked_at else "suspended" if r.suspended_at else "active"
            )
        out.append(
            {
                "row": r.number,
                "rowKey": r.row_key,
                "state": r.state,
                "credentialId": str(r.credential_id) if r.credential_id else "",
                "url": f"{base_url}/credentials/{r.credential_id}" if r.credential_id else "",
                "credentialState": credential_state or "",
                "error": r.error or "",
            }
        )
    return out


# --- the job ----------------------------------------------------------------------------------


def process_batch(
    sessions: Callable[[], Session],
    context: AppContext,
    batch_id: uuid.UUID,
    worker: str,
    *,
    chunk: int = CHUNK_ROWS,
    lease_s: float = LEASE_S,
    stopping: Callable[[], bool] = lambda: False,
) -> int:
    """Issue the batch's pending rows, chunk by chunk, until none is left to claim.

    Safe to run in any number of workers at once, and again after a crash: rows are claimed
    under leases, and each chunk's credentials and row states commit together. Returns how
    many rows this call finished. ``stopping`` is asked before each chunk: a worker shutting
    down returns after the chunk in hand, and the rest is taken up again (another worker, or
    the sweep).
    """
    done = 0
    while not stopping():
        with sessions() as session:
            batch = repository.get(session, batch_id)
            if batch is None or batch.state not in ("queued", "running"):
                return done
            size = chunk_size(batch, chunk)
            numbers = repository.claim_rows(session, batch_id, worker, size, lease_s)
            if not numbers:
                _complete(session, batch_id)
                return done
            done += _issue_chunk(session, context, batch, numbers, worker)
    return done


def chunk_size(batch: Batch, most: int) -> int:
    """Chunks shrink towards a batch's end (a quarter of what no chunk has finished, at least
    :data:`MIN_CHUNK_ROWS`), so workers sharing it finish close together rather than one
    waiting on the other's last full chunk ("guided" scheduling)."""
    left = batch.total - batch.issued - batch.skipped - batch.failed
    return max(min(most, left // 4), min(most, MIN_CHUNK_ROWS))


def _complete(session: Session, batch_id: uuid.UUID) -> None:
    done = repository.complete_if_done(session, batch_id)
    if done is not None:
        batch = repository.get(session, batch_id)
        assert batch is not None
        events.record(
            session,
            BatchCompleted(
                batch_id=batch_id,
                issuer_id=batch.issuer_id,
                state=done.state,
                issued=done.issued,
                skipped=done.skipped,
                failed=done.failed,
            ),
        )
    session.commit()


def _request(
    session: Session, context: AppContext, batch: Batch, row: repository.LeasedRow
) -> issuing.IssueRequest:
    """The row's request, retargeted to the learner's language version as the API does."""
    data = CredentialIssue.model_validate(row.request).model_copy(update={"proof": batch.proof})
    if data.language is not None:
        data = issuing.in_language(session, context, batch.issuer_id, data)
    return issuing.IssueRequest(
        issuer_id=batch.issuer_id,
        actor=f"batch:{batch.id}",
        data=data,
        idempotency_key=_row_key_idempotency(batch.id, row.row_key),
        request_hash=issuing.request_hash(data),
    )


def _issue_chunk(
    session: Session, context: AppContext, batch: Batch, numbers: Sequence[int], worker: str
) -> int:
    """Issue one leased chunk in one transaction; on a row's failure, row by row."""
    rows = repository.leased_rows(session, batch.id, numbers, worker)
    if not rows:
        session.rollback()
        return 0
    try:
        requests = [_request(session, context, batch, row) for row in rows]
        credentials = issuing.issue_in_transaction(session, context, requests)
    except (AppError, IntegrityError, credentials_repository.StatusIndexTaken):
        session.rollback()
        return sum(_issue_alone(session, context, batch, row, worker) for row in rows)
    repository.finish_rows(
        session,
        batch.id,
        [(r.number, "issued", c.id, None) for r, c in zip(rows, credentials, strict=True)],
    )
    repository.add_counts(session, batch.id, issued=len(rows))
    session.commit()
    return len(rows)


def _issue_alone(
    session: Session, context: AppContext, batch: Batch, row: repository.LeasedRow, worker: str
) -> int:
    """One row in its own transaction: issued, already issued by a racing worker, or failed."""
    number = row.number
    if not repository.leased_rows(session, batch.id, [number], worker):
        session.rollback()
        return 0
    try:
        request = _request(session, context, batch, row)
        (credential,) = issuing.issue_in_transaction(session, context, [request])
        outcome: tuple[int, str, uuid.UUID | None, str | None] = (
            number,
            "issued",
            credential.id,
            None,
        )
    except AppError as error:
        session.rollback()
        outcome = (number, "failed", None, error.detail)
    except IntegrityError:
        session.rollback()
        key = _row_key_idempotency(batch.id, row.row_key)
        existing = credentials_repository.by_idempotency_key(session, batch.issuer_id, key)
        if existing is None:
            raise
        outcome = (number, "issued", existing.id, None)
    repository.finish_rows(session, batch.id, [outcome])
    repository.add_counts(
        session,
        batch.id,
        issued=1 if outcome[1] == "issued" else 0,
        failed=1 if outcome[1] == "failed" else 0,
    )
    session.commit()
    return 1


def batches_to_dispatch(session: Session) -> list[uuid.UUID]:
    """Batches with work no live worker is doing (the sweep's list)."""
    return repository.batches_with_work(session, quiet_s=QUIET_S)
