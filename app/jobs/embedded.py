"""The embedded job runner: a thread of the service process (SQLite, ``./dev serve``).

Woken after a commit that queued work (:class:`app.events.BatchQueued`), and every
:data:`SWEEP_S` seconds it looks for batches nobody is working on (queued by another process,
or left by one that stopped). The job body is the same as the worker processes': rows are
leased and issued chunk by chunk, so two processes with a runner each share a batch safely.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

from app.batches import service as batches
from app.core.context import AppContext
from app.jobs.delivery import ISSUING

logger = logging.getLogger("app.jobs")

SWEEP_S = 5.0
"""How often an idle runner looks for work it was not woken for."""


class EmbeddedRunner:
    """One daemon thread processing batches, started on first need."""

    def __init__(self, sessions: Callable[[], Session], context: AppContext) -> None:
        self._sessions = sessions
        self._context = context
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._queued: list[uuid.UUID] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.name = f"embedded-{uuid.uuid4().hex[:12]}"

    def wake(self, batch_id: uuid.UUID) -> None:
        """Process ``batch_id`` soon (starting the thread if it is not running)."""
        with self._lock:
            self._queued.append(batch_id)
        self.start()
        self._wake.set()

    def start(self) -> None:
        """Start the thread unless it runs (the service's start-up sweeps without a wake)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the chunk in hand and stop (its rows are committed or rolled back whole)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _next(self) -> list[uuid.UUID]:
        with self._lock:
            woken, self._queued = self._queued, []
        with self._sessions() as session:
            found = batches.batches_to_dispatch(session)
        return list(dict.fromkeys([*woken, *found]))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                for batch_id in self._next():
                    if self._stop.is_set():
                        return
                    with ISSUING.held():  # the service's outbox relay waits meanwhile
                        batches.process_batch(
                            self._sessions,
                            self._context,
                            batch_id,
                            self.name,
                            stopping=self._stop.is_set,
                        )
            except Exception:
                logger.exception("embedded job runner: a batch failed; retrying after a pause")
            self._wake.wait(SWEEP_S)
