"""Counting page views, verifications and LinkedIn click-throughs without slowing the pages.

The hot path (:func:`app.hot.usage.count`, in the foundations so that the pages' packages
can call it without importing the reports) adds one to a per-worker counter keyed by
``(issuer, achievement version, UTC day, kind)`` under a lock
(:data:`app.hot.usage.usage_counts`): no I/O, no allocation beyond the key, about half a
microsecond (``bench/bench_counting.py``). A :class:`UsageFlusher` thread of the
same worker adds the counters to the ``usage_counts`` table in one upsert per chunk
(:func:`flush`) every :data:`FLUSH_S` seconds, as soon as :data:`FLUSH_EVENTS` events are
waiting, and when the worker stops. A flush that fails puts its counts back for the next one.

What is counted: the credential's HTML page (``GET /credentials/{id}``, cached or rendered,
a 304 revalidation too; not its JSON, JWT, QR code or images), a verification through
``POST /api/v1/verify`` or the ``/verify`` page of a document whose ``id`` is one of our
credentials (whatever the verdict; not the credential page's own check), and a click on the
page's LinkedIn button. Nothing about the visitor is kept: no address, no e-mail, no
user agent, only the four-part key and a number.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import date

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.core.db_errors import describe
from app.hot.usage import UsageKey, usage_counts
from app.reports import repository

logger = logging.getLogger("app.reports")

FLUSH_S = 10.0
"""How often a worker writes its counts (the longest a report lags behind the pages)."""
FLUSH_EVENTS = 5000
"""Events after which a worker writes at once rather than waiting for :data:`FLUSH_S`."""

_EPOCH = date(1970, 1, 1).toordinal()


def day_of(epoch_day: int) -> date:
    """The date of a day number (days since 1970-01-01, UTC)."""
    return date.fromordinal(_EPOCH + epoch_day)


def flush(sessions: Callable[[], Session]) -> int:
    """Add this worker's counts to ``usage_counts`` (one transaction); how many events.

    On a database error the counts are put back for the next flush, except when the rows
    themselves are refused (an integrity error: their issuer or achievement is not in this
    database), which no retry would change: those are dropped with a warning.
    """
    taken = usage_counts.drain()
    if not taken:
        return 0
    rows = [
        (uuid.UUID(int=issuer), uuid.UUID(int=achievement), day_of(day), kind, n)
        for (issuer, achievement, day, kind), n in taken.items()
    ]
    try:
        with sessions() as session:
            repository.add_usage(session, rows)
            session.commit()
    except IntegrityError as exc:
        logger.warning(
            "usage counts refused by the database; %d row(s) dropped",
            len(rows),
            extra=describe(exc),
        )
        return 0
    except Exception:
        usage_counts.restore(taken.items())
        raise
    return sum(taken.values())


def pending() -> dict[UsageKey, int]:
    """A copy of the counts not yet flushed (tests, diagnostics)."""
    with usage_counts.lock:
        return dict(usage_counts.counts)


class UsageFlusher:
    """The thread that writes this worker's counts (one per application instance)."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        every_s: float = FLUSH_S,
        after_events: int = FLUSH_EVENTS,
    ) -> None:
        self._sessions = sessions
        self._every_s = every_s
        self._after_events = after_events
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start writing every ``every_s`` seconds or after ``after_events`` events."""
        if self._thread is not None and self._thread.is_alive():
            return
        usage_counts.threshold = self._after_events
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="usage-flusher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread and write what is left (the worker is shutting down)."""
        self._stop.set()
        usage_counts.due.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._flush_logged()

    def _run(self) -> None:
        while not self._stop.is_set():
            usage_counts.due.wait(self._every_s)
            if self._stop.is_set():
                return
            self._flush_logged()

    def _flush_logged(self) -> None:
        try:
            flush(self._sessions)
        except SQLAlchemyError as exc:  # by kind and code, never the statement's values
            logger.warning(
                "usage counts not written; they are kept for the next try", extra=describe(exc)
            )
        except Exception:
            logger.exception("usage counts not written; they are kept for the next try")
