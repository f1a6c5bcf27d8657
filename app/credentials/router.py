"""Issuer API: issue, list, read and change the status of credentials."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from sqlalchemy.orm import Session

from app.core.context import AppContext, ContextDep
from app.core.db import SessionDep
from app.core.security import IssuerAuth, IssuerPrincipal
from app.credentials import issuing, service
from app.credentials.repository import CredentialFilter
from app.credentials.schemas import (
    BulkError,
    BulkStatusChange,
    BulkStatusResult,
    CredentialIssue,
    CredentialPage,
    CredentialRead,
    CredentialState,
    StatusChange,
)
from app.models import lengths
from app.serving.lanes import SigningLane

router = APIRouter(prefix="/api/v1/credentials", tags=["credentials"])

IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=lengths.IDEMPOTENCY_KEY)
]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CredentialRead)
async def issue_credential(
    data: CredentialIssue,
    principal: IssuerAuth,
    session: SessionDep,
    context: ContextDep,
    lane: SigningLane,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Issue and sign a credential; retry safely with an Idempotency-Key header."""
    return await lane.run(_issue, data, principal, session, context, idempotency_key)


def _issue(
    data: CredentialIssue,
    principal: IssuerPrincipal,
    session: Session,
    context: AppContext,
    idempotency_key: str | None,
) -> Response:
    """The blocking part of :func:`issue_credential` (runs in a signing-lane thread)."""
    outcome = issuing.issue_credential(
        session, context, principal, data, idempotency_key=idempotency_key
    )
    headers = {"Location": f"/api/v1/credentials/{outcome.credential.id}"}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    # The body is already JSON (the stored signed text spliced in): returned as is, it skips
    # FastAPI's validate-and-serialise pass over the whole credential (``response_model``
    # still documents it).
    body = service.read_one_json(session, context, outcome.credential, outcome.version)
    return Response(body, status.HTTP_201_CREATED, headers, media_type="application/json")


@router.get("", response_model=CredentialPage)
def list_credentials(
    principal: IssuerAuth,
    session: SessionDep,
    context: ContextDep,
    achievement_id: Annotated[uuid.UUID | None, Query(alias="achievementId")] = None,
    recipient: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[CredentialState | None, Query(alias="status")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CredentialPage:
    """The issuer's credentials, newest first, filtered and cursor-paginated."""
    filters = CredentialFilter(
        achievement_lineage_id=achievement_id, recipient=recipient, state=state
    )
    rows, next_cursor = service.list_credentials(
        session, principal.issuer_id, filters, cursor=cursor, limit=limit
    )
    versions = service.achievement_versions(session, rows)
    items = [service.to_read(context, r, versions[r.achievement_id]) for r in rows]
    return CredentialPage(items=items, next_cursor=next_cursor)


def _bulk_route(kind: str, doc: str) -> Callable[..., Awaitable[BulkStatusResult]]:
    """The handler of one bulk status change (the three differ only by ``kind``)."""

    async def bulk_change(
        data: BulkStatusChange,
        principal: IssuerAuth,
        session: SessionDep,
        context: ContextDep,
        lane: SigningLane,
    ) -> BulkStatusResult:
        return await lane.run(_bulk, kind, data, principal, session, context)

    bulk_change.__doc__ = doc
    return bulk_change


# Bulk status changes: fixed paths, declared before the ``/{credential_id}`` routes.
for _path, _kind, _doc in (
    (
        "/bulk-revoke",
        "revocation",
        "Revoke many credentials (by id, or every credential of a batch); each status list "
        "is re-signed once and shows every change when this returns. Ids the issuer cannot "
        "change are listed in ``errors``, untouched.",
    ),
    ("/bulk-suspend", "suspension", "Suspend many credentials (as ``bulk-revoke``)."),
    (
        "/bulk-unsuspend",
        "unsuspension",
        "Lift the suspension of many credentials (as ``bulk-revoke``).",
    ),
):
    router.add_api_route(
        _path,
        _bulk_route(_kind, _doc),
        methods=["POST"],
        response_model=BulkStatusResult,
        name=f"bulk_{_kind}",
        operation_id=f"bulk_{_kind}",
    )


def _bulk(
    kind: str,
    data: BulkStatusChange,
    principal: IssuerPrincipal,
    session: Session,
    context: AppContext,
) -> BulkStatusResult:
    """The blocking part of the bulk routes (in a signing-lane thread: it signs lists)."""
    ids = data.credential_ids
    if ids is None:
        assert data.batch_id is not None  # the schema asks for one of the two
        ids = service.credentials_of_batch(session, principal.issuer_id, data.batch_id)
    outcome = service.change_status_many(session, context, principal, ids, kind, data.reason)
    return BulkStatusResult(
        changed=outcome.changed,
        unchanged=outcome.unchanged,
        errors=[BulkError(**error) for error in outcome.errors],
    )


@router.get("/{credential_id}", response_model=CredentialRead)
def get_credential(
    credential_id: uuid.UUID, principal: IssuerAuth, session: SessionDep, context: ContextDep
) -> CredentialRead:
    """One credential with its signed document and the e-mails sent to its learner."""
    row = service.get_credential(session, principal.issuer_id, credential_id)
    read = service.read_one(session, context, row)
    read.notifications = service.notifications(session, row)
    return read


def _change(
    kind: str,
    credential_id: uuid.UUID,
    principal: IssuerAuth,
    session: SessionDep,
    context: ContextDep,
    data: StatusChange | None,
) -> CredentialRead:
    reason = data.reason if data else None
    # this worker's pages show the change at once: CredentialStatusChanged (app.hot.subscribers)
    row = service.change_status(session, context, principal, credential_id, kind, reason)
    return service.read_one(session, context, row, with_document=False)


@router.post("/{credential_id}/revoke", response_model=CredentialRead)
def revoke_credential(
    credential_id: uuid.UUID,
    principal: IssuerAuth,
    session: SessionDep,
    context: ContextDep,
    data: StatusChange | None = None,
) -> CredentialRead:
    """Revoke (final); the status list shows it when this returns."""
    return _change("revocation", credential_id, principal, session, context, data)


@router.post("/{credential_id}/suspend", response_model=CredentialRead)
def suspend_credential(
    credential_id: uuid.UUID,
    principal: IssuerAuth,
    session: SessionDep,
    context: ContextDep,
    data: StatusChange | None = None,
) -> CredentialRead:
    """Suspend (reversible)."""
    return _change("suspension", credential_id, principal, session, context, data)


@router.post("/{credential_id}/unsuspend", response_model=CredentialRead)
def unsuspend_credential(
    credential_id: uuid.UUID,
    principal: IssuerAuth,
    session: SessionDep,
    context: ContextDep,
    data: StatusChange | None = None,
) -> CredentialRead:
    """Lift a suspension."""
    return _change("unsuspension", credential_id, principal, session, context, data)
