"""Record audited actions inside the caller's transaction (no commit here).

The audit row commits or rolls back together with the action it describes, so the log never
claims something that did not happen and never misses something that did.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.models import AuditEvent
from app.models.base import utcnow

_INSERT = insert(AuditEvent.__table__)  # type: ignore[arg-type]


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: uuid.UUID | str,
    issuer_id: uuid.UUID | None = None,
    signing_key_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to the session (the caller's commit persists it)."""
    event = AuditEvent(
        issuer_id=issuer_id,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        signing_key_id=signing_key_id,
        details=details or {},
    )
    session.add(event)
    return event


def event_row(
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: uuid.UUID | str,
    issuer_id: uuid.UUID | None = None,
    signing_key_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every column of one ``audit_events`` row, for writers that insert with Core statements."""
    return {
        "id": uuid.uuid4(),
        "created_at": utcnow(),
        "issuer_id": issuer_id,
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "signing_key_id": signing_key_id,
        "details": details or {},
    }


def insert_row(session: Session, row: dict[str, Any]) -> None:
    """INSERT one :func:`event_row` now, in the caller's transaction (a prebuilt Core statement:
    the issuance hot path). Unlike :func:`record` it does not wait for a flush, so every row it
    references must already be in the database."""
    session.connection().execute(_INSERT, row)
