"""Per-worker usage counters: page views, verifications and LinkedIn click-throughs not yet
written to the database.

The public pages count what they serve here (:func:`count`: an increment under a lock, no
I/O), and a
flusher thread of the same worker adds the counts to the ``usage_counts`` table every few
seconds, after enough events, and when the worker stops (:mod:`app.reports.counters`). These
are counts waiting to be written, not copies of data: nothing can make them stale, and no
domain event clears them. What a worker killed without a shutdown loses is its counts since
the last flush.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterable

from app.hot.registry import declare

VIEW, VERIFY, LINKEDIN = "view", "verify", "linkedin"
"""The kinds counted (``app.models.usage.USAGE_KINDS``)."""
DAY_S = 86_400

UsageKey = tuple[int, int, int, str]
"""``(issuer_id.int, achievement version id.int, UTC day as days since 1970-01-01, kind)``:
the ids as integers, whose hashing is C (a ``uuid.UUID`` hashes in Python, ~0.4 us each, and
a dict update hashes its key twice)."""


class UsageCounts:
    """The counts of this worker since its last flush, and the flusher's wake-up call."""

    def __init__(self) -> None:
        self.counts: dict[UsageKey, int] = {}
        self.pending = 0
        """Events counted since the last drain (the flush-after-M-events trigger)."""
        self.lock = threading.Lock()
        self.due = threading.Event()
        """Set when :attr:`pending` reaches the flusher's threshold (the flusher waits on it)."""
        self.threshold = 0
        """Events after which :attr:`due` is set (0: never; set by the flusher that runs)."""

    def add(self, key: UsageKey) -> None:
        """Count one event (the hot path: a dict update under an uncontended lock)."""
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            self.pending += 1
            if self.pending == self.threshold:
                self.due.set()

    def drain(self) -> dict[UsageKey, int]:
        """Take every count (the caller writes them, or gives them back with :meth:`restore`)."""
        with self.lock:
            taken, self.counts, self.pending = self.counts, {}, 0
            self.due.clear()
        return taken

    def restore(self, taken: Iterable[tuple[UsageKey, int]]) -> None:
        """Put counts whose write failed back, to be written by the next flush."""
        with self.lock:
            for key, count in taken:
                self.counts[key] = self.counts.get(key, 0) + count

    def clear(self) -> None:
        """Drop every count (tests start from a cold worker)."""
        with self.lock:
            self.counts.clear()
            self.pending = 0

    def after_fork_in_child(self) -> None:
        """A fresh lock and no counts: the parent writes its own, the child must not again."""
        self.lock = threading.Lock()
        self.due = threading.Event()
        self.counts, self.pending = {}, 0

    def __len__(self) -> int:
        return len(self.counts)


usage_counts = declare(
    UsageCounts(),
    name="usage counts not yet flushed",
    ttl_s=None,
    why_no_ttl="counts waiting to be added to usage_counts: flushed every few seconds, after "
    "enough events and at shutdown, never expired",
    why_no_event="counts, not copies of data: nothing makes them stale",
    stale_effect="none; a worker killed without a shutdown loses the views, verifications and "
    "LinkedIn clicks counted since its last flush (seconds' worth)",
)

os.register_at_fork(after_in_child=usage_counts.after_fork_in_child)


def count(kind: str, issuer_id: uuid.UUID, achievement_id: uuid.UUID) -> None:
    """Count one event of ``kind`` for a credential of ``achievement_id`` today (UTC): the
    call the public pages make (well under a microsecond, no I/O)."""
    usage_counts.add((issuer_id.int, achievement_id.int, int(time.time()) // DAY_S, kind))
