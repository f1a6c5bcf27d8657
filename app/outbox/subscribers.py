"""Domain events become outbox events, in the transaction that recorded them.

Installed by :func:`app.wiring.subscribe_all`. An issuance's ``credential.issued`` row is
written by the issuance writer itself, with the credential and its audit row, in both of its
forms (:func:`app.outbox.service.issued_row`); only a program award adds a
``program.completed`` here.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.core import events
from app.events import (
    BatchCompleted,
    CredentialIssued,
    CredentialStatusChanged,
    PushDecided,
    PushRequested,
)
from app.outbox import service as outbox

_STATUS_TYPES = {
    "revocation": "credential.revoked",
    "suspension": "credential.suspended",
    "unsuspension": "credential.unsuspended",
}


def _on_issued(session: Session, event: CredentialIssued) -> None:
    """A program award also completes the program (its ``credential.issued`` row was written
    by the issuance writer itself, as every issuance's is)."""
    if not event.program_award:
        return
    outbox.record_event(
        session,
        type="program.completed",
        issuer_id=event.issuer_id,
        subject_id=event.credential_id,
        data={
            "credentialId": str(event.credential_id),
            "achievementId": str(event.achievement_id),
            "issuerId": str(event.issuer_id),
        },
    )


def _on_status_changed(session: Session, event: CredentialStatusChanged) -> None:
    outbox.record_event(
        session,
        type=_STATUS_TYPES[event.kind],
        issuer_id=event.issuer_id,
        subject_id=event.credential_id,
        data={
            "credentialId": str(event.credential_id),
            "achievementId": str(event.row.achievement_id) if event.row is not None else None,
            "issuerId": str(event.issuer_id),
            "reason": event.reason,
            "actor": event.actor,
            **(
                {"boundFromId": str(event.row.bound_from_id)}
                if event.row is not None and event.row.bound_from_id is not None
                else {}
            ),
        },
    )


def _on_batch_completed(session: Session, event: BatchCompleted) -> None:
    outbox.record_event(
        session,
        type="batch.completed",
        issuer_id=event.issuer_id,
        subject_id=event.batch_id,
        data={
            "batchId": str(event.batch_id),
            "state": event.state,
            "issued": event.issued,
            "skipped": event.skipped,
            "failed": event.failed,
        },
    )


def _on_push_requested(session: Session, event: PushRequested) -> None:
    """The e-mail channel asks the learner (``push.requested``); webhooks may listen too."""
    outbox.record_event(
        session,
        type="push.requested",
        issuer_id=event.issuer_id,
        subject_id=event.credential_id,
        data={
            "requestId": str(event.request_id),
            "credentialId": str(event.credential_id),
            "issuerId": str(event.issuer_id),
            "apiRoot": event.api_root,
            "hostName": event.host_name,
            "expiresAt": event.expires_at,
            "actor": event.actor,
        },
    )


def _on_push_decided(session: Session, event: PushDecided) -> None:
    outbox.record_event(
        session,
        type="push.completed",
        issuer_id=event.issuer_id,
        subject_id=event.credential_id,
        data={
            "requestId": str(event.request_id),
            "credentialId": str(event.credential_id),
            "issuerId": str(event.issuer_id),
            "apiRoot": event.api_root,
            "state": event.state,
            "resultStatus": event.result_status,
            "resultDetail": event.result_detail,
        },
    )


def subscribe() -> None:
    events.subscribe_in_transaction(CredentialIssued, _on_issued)
    events.subscribe_in_transaction(CredentialStatusChanged, _on_status_changed)
    events.subscribe_in_transaction(BatchCompleted, _on_batch_completed)
    events.subscribe_in_transaction(PushRequested, _on_push_requested)
    events.subscribe_in_transaction(PushDecided, _on_push_decided)
