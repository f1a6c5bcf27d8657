"""Where a queued batch is announced: the runners this process feeds.

The after-commit subscriber of :class:`app.events.BatchQueued` (registered by
:func:`app.wiring.subscribe_all`) hands the batch to every attached target: the embedded
runner's ``wake`` or the procrastinate deferral (:mod:`app.jobs.queue`). A lost announcement
(the process stops between the commit and the call) costs a delay, not the batch: runners and
workers sweep for batches nobody is working on.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

from app.events import BatchQueued

logger = logging.getLogger("app.jobs")

Target = Callable[[uuid.UUID], None]


class Dispatch:
    """The targets of this process (one per application instance; tests make several)."""

    def __init__(self) -> None:
        self._targets: list[Target] = []
        self._lock = threading.Lock()

    def attach(self, target: Target) -> None:
        with self._lock:
            if target not in self._targets:
                self._targets.append(target)

    def detach(self, target: Target) -> None:
        with self._lock:
            if target in self._targets:
                self._targets.remove(target)

    def on_queued(self, event: BatchQueued) -> None:
        with self._lock:
            targets = list(self._targets)
        for target in targets:
            target(event.batch_id)


DISPATCH = Dispatch()
