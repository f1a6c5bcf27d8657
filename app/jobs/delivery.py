"""The outbox relay: a thread that dispatches outbox events and sends due deliveries.

It runs in the service process on the embedded default (SQLite, ``./dev serve``) and in every
``badges worker`` process on PostgreSQL (:func:`app.jobs.queue.run_worker`), where the workers
share the deliveries through leases in the database. A commit in the same process that
recorded an outbox event wakes it at once (:data:`WAKE`, an after-commit subscriber installed
by :func:`app.wiring.subscribe_all`); otherwise it looks every ``poll_s`` seconds, so events
committed by another process (the API on PostgreSQL) are picked up within that time, and
retries are sent when due.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.models.base import utcnow
from app.outbox import service as outbox

logger = logging.getLogger("app.jobs")

MIN_WAIT_S = 0.05
PURGE_EVERY_S = 3600.0
"""How often a relay deletes deliveries past their retention (any relay may; it is idempotent)."""


class Wake:
    """The relays of this process to wake after a commit that recorded an outbox event."""

    def __init__(self) -> None:
        self._targets: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def attach(self, target: Callable[[], None]) -> None:
        with self._lock:
            if target not in self._targets:
                self._targets.append(target)

    def detach(self, target: Callable[[], None]) -> None:
        with self._lock:
            if target in self._targets:
                self._targets.remove(target)

    def __call__(self, _event: object = None) -> None:
        for target in list(self._targets):
            target()


WAKE = Wake()


class Issuing:
    """Whether this process is issuing a batch now: its relay then yields to it.

    The relay shares the process (and its interpreter lock) with the batch jobs; sending a
    cohort's e-mails while the cohort is still being issued slowed the issuance by a quarter
    (``bench/bench_mail.py``). Between groups of events and deliveries the relay waits for
    the batch jobs to finish, at most :data:`YIELD_S` at a time (a cohort's e-mails are not
    urgent to the second; a batch of 20,000 rows takes about 10 s), so deliveries still go
    out during a very long batch.
    """

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            self._count += 1
            self._idle.clear()
        try:
            yield
        finally:
            with self._lock:
                self._count -= 1
                if self._count == 0:
                    self._idle.set()

    def wait_idle(self, timeout_s: float) -> None:
        self._idle.wait(timeout_s)


ISSUING = Issuing()
YIELD_S = 30.0


class DeliveryRunner:
    """One daemon thread relaying the outbox."""

    def __init__(
        self, sessions: Callable[[], Session], context: AppContext, *, poll_s: float
    ) -> None:
        self._sessions = sessions
        self._context = context
        self._poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.name = f"delivery-{uuid.uuid4().hex[:12]}"

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the delivery in hand (its outcome is recorded)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        purged_at = 0.0
        while not self._stop.is_set():
            self._wake.clear()
            next_at: datetime | None = None
            if time.monotonic() - purged_at > PURGE_EVERY_S:
                purged_at = time.monotonic()
                try:
                    outbox.purge(self._sessions, self._context)
                except Exception:
                    logger.exception("outbox purge failed; tried again in an hour")
            try:
                outbox.deliver_due(
                    self._sessions,
                    self._context,
                    self.name,
                    between=lambda: ISSUING.wait_idle(YIELD_S),
                )
                with self._sessions() as session:
                    next_at = outbox.next_due(session)
            except Exception:  # the database is down, say: try again at the next tick
                logger.exception("outbox relay pass failed")
            self._wake.wait(self._wait_s(next_at))

    def _wait_s(self, next_at: datetime | None) -> float:
        if next_at is None:
            return self._poll_s
        seconds = (next_at - utcnow()).total_seconds()
        return min(self._poll_s, max(MIN_WAIT_S, seconds))
