"""Programs react to module credentials: award on issue/unsuspension, review on revocation.

In-transaction subscribers (see :mod:`app.core.events`): the award or the review commits or
rolls back with the module credential's issuance or status change, under the learner's row
lock (:func:`app.programs.service.on_module_credential_issued`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.core import events
from app.core.context import context_of
from app.events import CredentialIssued, CredentialStatusChanged
from app.programs import service


def _on_issued(session: Session, event: CredentialIssued) -> None:
    # Written by the one-statement form: its guard found the achievement in no program.
    # A program's own award completes nothing further (as before the events).
    # A copy bound to a holder's wallet is the same achievement for the same learner.
    if event.in_statement or event.program_award or event.bound_copy or event.row is None:
        return
    service.on_module_credential_issued(session, context_of(session), event.row)


def _on_status_changed(session: Session, event: CredentialStatusChanged) -> None:
    if event.row is None or event.row.bound_from_id is not None:
        return  # a bound copy follows its original, which programs already judged
    if event.kind == "revocation":
        service.on_module_credential_revoked(session, context_of(session), event.row)
    elif event.kind == "unsuspension":
        service.on_module_credential_issued(session, context_of(session), event.row)


def subscribe() -> None:
    """Register the programs' in-transaction subscribers."""
    events.subscribe_in_transaction(CredentialIssued, _on_issued)
    events.subscribe_in_transaction(CredentialStatusChanged, _on_status_changed)
