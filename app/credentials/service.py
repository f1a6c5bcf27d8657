"""Credentials: read, list, change status (issuing is :mod:`app.credentials.issuing`).

The signed JSON text is stored once at issuance and served byte for byte afterwards: nothing
here ever re-signs a credential on read.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core import events
from app.core.context import AppContext
from app.core.errors import AppError, BadRequest, NotFound, Unprocessable
from app.core.security import IssuerPrincipal
from app.core.urls import credential_url
from app.credentials import repository
from app.credentials.repository import CredentialFilter
from app.credentials.schemas import BULK_LIMIT, CredentialRead, NotificationRead, RecipientRead
from app.events import CredentialStatusChanged
from app.models import Credential, StatusEvent
from app.outbox import service as outbox
from app.status import service as status

logger = logging.getLogger("app.credentials")


class CredentialNotFound(NotFound):
    """No such credential (or not visible to the caller)."""


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
    suspendable = kind == "revocation" or status.has_entry(session, row.id, "suspension")
    if _in_effect(row, kind, suspendable=suspendable):
        return row
    apply_changes(session, context, [row], kind, reason, actor=principal.actor)
    session.commit()
    return row


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    """What a bulk status change did to each requested credential (in request order)."""

    changed: list[uuid.UUID] = field(default_factory=list)
    unchanged: list[uuid.UUID] = field(default_factory=list)
    """Already in the requested state (a repeated call changes nothing)."""
    errors: list[dict[str, str]] = field(default_factory=list)
    """``{"id", "code", "detail"}`` per credential left alone (unknown to the issuer, revoked,
    without a suspension entry)."""


class BatchNotFound(NotFound):
    """No such batch for this issuer."""


def credentials_of_batch(
    session: Session, issuer_id: uuid.UUID, batch_id: uuid.UUID
) -> list[uuid.UUID]:
    """Every credential a batch of this issuer issued (404 for another issuer's batch; a
    batch that issued nothing yet: 422, there is nothing to change)."""
    ids = repository.credentials_of_batch(session, issuer_id, batch_id)
    if ids is None:
        raise BatchNotFound("No such batch.")
    if not ids:
        raise Unprocessable("The batch has issued no credential.", field="$.batchId")
    return ids


def change_status_many(
    session: Session,
    context: AppContext,
    principal: IssuerPrincipal,
    credential_ids: Sequence[uuid.UUID],
    kind: str,
    reason: str | None,
) -> BulkOutcome:
    """:func:`change_status` for many credentials in one transaction, each list re-signed once.

    The rules are the single change's, applied per credential: one that cannot change (not
    the issuer's, revoked, no suspension entry) is reported in ``errors`` and left untouched
    while the others change. Rows are locked in the order of their ids, then the lists in
    theirs, so concurrent bulk changes wait for each other instead of deadlocking. The served
    lists show every change once this returns.
    """
    if not 0 < len(credential_ids) <= BULK_LIMIT:
        raise Unprocessable(
            f"Give between 1 and {BULK_LIMIT} credential ids.", field="$.credentialIds"
        )
    wanted = list(dict.fromkeys(credential_ids))
    rows = {row.id: row for row in repository.lock_for_issuer(session, principal.issuer_id, wanted)}
    suspendable = (
        set(rows)
        if kind == "revocation"
        else status.entry_holders(session, list(rows), "suspension")
    )
    outcome = BulkOutcome()
    to_change: list[Credential] = []
    for credential_id in wanted:
        row = rows.get(credential_id)
        try:
            if row is None:
                raise CredentialNotFound("No such credential.")
            if _in_effect(row, kind, suspendable=row.id in suspendable):
                outcome.unchanged.append(row.id)
            else:
                to_change.append(row)
        except AppError as error:
            outcome.errors.append(
                {"id": str(credential_id), "code": error.code, "detail": error.detail}
            )
    outcome.changed.extend(row.id for row in to_change)
    if to_change:
        apply_changes(session, context, to_change, kind, reason, actor=principal.actor)
        session.commit()
    return outcome


def _in_effect(row: Credential, kind: str, *, suspendable: bool) -> bool:
    """True when ``kind`` is already in effect; raises when it cannot be made.

    ``suspendable``: the credential holds a suspension entry (only asked for suspension and
    unsuspension). The order of the checks is the API's: a credential without a suspension
    entry is told so even when revoked.
    """
    if kind != "revocation" and not suspendable:
        raise status.NoStatusEntry(
            "The credential was issued without a suspension status entry (its issuer had "
            "suspension disabled: OB 3.0 allows one credentialStatus), so it cannot be "
            "suspended or unsuspended; revoke it instead."
        )
    if _already(row, kind):
        return True
    if row.revoked_at is not None:
        raise _RevokedConflict("The credential is revoked; revocation cannot be undone.")
    return False


def apply_changes(
    session: Session,
    context: AppContext,
    rows: Sequence[Credential],
    kind: str,
    reason: str | None,
    *,
    actor: str,
    audit_details: dict[str, Any] | None = None,
) -> None:
    """Make ``kind`` happen to the locked ``rows`` (no commit): one re-sign per list, then per
    credential its state, a StatusEvent, ``CredentialStatusChanged`` (programs and the copies
    bound to a holder react to it in this transaction) and an audit row (``reason`` and
    ``audit_details``). The caller has checked that ``kind`` can be made for each row.

    Every row's new state is flushed before the first event: a program reviewing its award
    after one module's revocation already sees the other modules this call revokes, so it
    judges the award on the outcome of the whole call.
    """
    session.info.setdefault("context", context)  # in-transaction subscribers read it
    purpose = "revocation" if kind == "revocation" else "suspension"
    value = kind != "unsuspension"
    status.set_bits(session, context, [(row.id, purpose, value) for row in rows])
    now = datetime.now(UTC)
    for row in rows:
        if kind == "revocation":
            row.revoked_at = now
        else:
            row.suspended_at = now if kind == "suspension" else None
        session.add(StatusEvent(credential_id=row.id, kind=kind, reason=reason, actor=actor))
    session.flush()
    held = repository.hold_achievements(session, {row.achievement_id for row in rows})
    for row in rows:
        logger.info(
            "credential status changed",
            extra={"credential_id": str(row.id), "kind": kind, "actor": actor},
        )
        events.record(
            session,
            CredentialStatusChanged(
                credential_id=row.id,
                issuer_id=row.issuer_id,
                kind=kind,
                actor=actor,
                reason=reason,
                row=row,
            ),
        )
        audit.record(
            session,
            actor=actor,
            action=f"credential.{kind}",
            subject_type="credential",
            subject_id=row.id,
            issuer_id=row.issuer_id,
            details={"reason": reason, **(audit_details or {})},
        )
    del held  # kept alive until every event was delivered


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
        bound_from_id=row.bound_from_id,
        credential=json.loads(row.document) if with_document else None,
        jwt=row.jwt if with_document else None,
    )


def notifications(session: Session, row: Credential) -> list[NotificationRead]:
    """The e-mails about ``row`` to its learner (outbox deliveries targeting it), newest first."""
    return [
        NotificationRead(
            channel=d.channel,
            kind=d.payload.get("template") if isinstance(d.payload, dict) else None,
            state=d.state,
            attempts=d.attempts,
            created_at=d.created_at,
            sent_at=d.sent_at,
            last_error=d.last_error,
        )
        for d in outbox.deliveries_for_target(session, row.issuer_id, row.id)
        if d.channel == "email"
    ]


def read_one(
    session: Session, context: AppContext, row: Credential, *, with_document: bool = True
) -> CredentialRead:
    """``to_read`` for a single row (looks its achievement version and its copies bound to
    holders' wallets up)."""
    version = repository.achievement_version(session, row.achievement_id)
    read = to_read(context, row, version, with_document=with_document)
    read.bound_copy_ids = repository.bound_copy_ids(session, row.id)
    return read


def read_one_json(
    session: Session,
    context: AppContext,
    row: Credential,
    version: tuple[uuid.UUID, int] | None = None,
) -> bytes:
    """The issuance's answer (``read_one`` of a credential just issued) as JSON bytes, the
    stored signed text spliced in unparsed.

    Parsing the document only to serialise it again was the largest cost of the issuance
    response. ``credential`` and ``jwt`` are the last fields of ``CredentialRead``, so the
    output has the same members in the same order.
    """
    if version is None:
        version = repository.achievement_version(session, row.achievement_id)
    read = to_read(context, row, version)
    # The answer to its issuance (or to a replay of it): the credential as issued, before any
    # copy was bound to a wallet or any e-mail was sent about it.
    read.bound_copy_ids = []
    read.notifications = []
    head = read.model_dump_json(by_alias=True, exclude={"credential", "jwt"})
    return f'{head[:-1]},"credential":{row.document},"jwt":{json.dumps(row.jwt)}}}'.encode()


class RevocableRow(Protocol):
    """What :func:`public_revocation_reason` reads: a :class:`Credential` or a page's row."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def revoked_at(self) -> datetime | None: ...


def public_revocation_reason(session: Session, row: RevocableRow) -> str | None:
    """The reason a revoked credential's page shows (the API says a revocation's reason is
    public; a suspension's is not)."""
    if row.revoked_at is None:
        return None
    return repository.latest_status_reason(session, row.id, "revocation")
