"""The composition root of domain events: who reacts to what, in one place.

Called by :func:`app.main.create_app`, the CLI and the test fixtures before any session
records an event (:func:`app.core.events.record` refuses until then). Idempotent.
"""

from __future__ import annotations

from app.core import events


def subscribe_all() -> None:
    """Install every subscriber, then allow events to be recorded."""
    from app.credentials import issuing
    from app.events import BatchQueued
    from app.hot import subscribers as hot
    from app.jobs.dispatch import DISPATCH
    from app.programs import subscribers as programs

    issuing.subscribe()  # after commit: the issued version becomes a hint
    programs.subscribe()  # in transaction: awards and reviews of module credentials
    hot.subscribe()  # after commit: forget what changed
    events.subscribe_after_commit(BatchQueued, DISPATCH.on_queued)  # wake a job runner
    events.mark_wired()
