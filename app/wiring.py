"""The composition root of domain events: who reacts to what, in one place.

Called by :func:`app.main.create_app`, the CLI and the test fixtures before any session
records an event (:func:`app.core.events.record` refuses until then). Idempotent.
"""

from __future__ import annotations

from app.core import events


def subscribe_all() -> None:
    """Install every subscriber, then allow events to be recorded."""
    from app.credentials import issuing
    from app.events import BatchCompleted, BatchQueued, CredentialIssued, CredentialStatusChanged
    from app.hot import subscribers as hot
    from app.jobs.delivery import WAKE
    from app.jobs.dispatch import DISPATCH
    from app.mail import subscribers as mail
    from app.offers import subscribers as offers
    from app.outbox import subscribers as outbox
    from app.programs import subscribers as programs
    from app.webhooks import wiring as webhooks

    issuing.subscribe()  # after commit: the issued version becomes a hint
    programs.subscribe()  # in transaction: awards and reviews of module credentials
    offers.subscribe()  # in transaction: copies bound to wallets follow their original
    hot.subscribe()  # after commit: forget what changed
    events.subscribe_after_commit(BatchQueued, DISPATCH.on_queued)  # wake a job runner
    outbox.subscribe()  # in transaction: what happened becomes an outbox event
    webhooks.subscribe()  # outbox channel: signed webhook calls
    for kind in (CredentialIssued, CredentialStatusChanged, BatchCompleted):
        events.subscribe_after_commit(kind, WAKE)  # the outbox relay sends it
    mail.subscribe()  # outbox: the e-mail channel's fan-out and sender
    events.mark_wired()
