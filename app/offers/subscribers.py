"""A copy bound to a holder follows its original: revoked, suspended, unsuspended with it.

An in-transaction subscriber of :class:`~app.events.CredentialStatusChanged` (installed by
:func:`app.wiring.subscribe_all` through :func:`subscribe`): the copies change in the same
transaction as their original, their status lists re-signed before it commits, so a verifier
never sees a revoked original beside a valid copy. Each copy's change is recorded as the
original's is (status list bit, ``StatusEvent``, audit row, ``CredentialStatusChanged`` for
the programs, per-worker memory and outbox). Copies have no copies, so the events recorded
for them end here: no recursion.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from app.core import events
from app.core.context import context_of
from app.credentials import service as credentials
from app.events import CredentialStatusChanged
from app.models import Credential
from app.offers import repository
from app.status import service as status


def _needs(copy: Credential, kind: str, suspendable: set[uuid.UUID]) -> bool:
    """True when ``kind`` is not yet in effect for the copy and can be made."""
    if copy.revoked_at is not None:
        return False  # revocation is final; nothing follows it
    if kind == "revocation":
        return True
    if copy.id not in suspendable:
        return False  # issued without a suspension entry (an original without one)
    return (copy.suspended_at is None) if kind == "suspension" else copy.suspended_at is not None


def follow_original(session: Session, event: CredentialStatusChanged) -> None:
    """Apply the original's status change to its bound copies (no commit)."""
    original = event.row
    if original is None or original.bound_from_id is not None:
        return  # a copy's own change: copies have no copies
    copies = repository.lock_bound_copies(session, original.id)
    if not copies:
        return
    kind = event.kind
    suspendable: set[uuid.UUID] = (
        set()
        if kind == "revocation"
        else set(status.entry_holders(session, [c.id for c in copies], "suspension"))
    )
    changing = [c for c in copies if _needs(c, kind, suspendable)]
    if not changing:
        return
    credentials.apply_changes(
        session,
        context_of(session),
        changing,
        kind,
        event.reason,
        actor=event.actor,
        audit_details={"followed": str(original.id)},
    )


def subscribe() -> None:
    """Register the in-transaction subscriber (called by :func:`app.wiring.subscribe_all`)."""
    events.subscribe_in_transaction(CredentialStatusChanged, follow_original)
