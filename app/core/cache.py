"""A small thread-safe LRU whose entries expire: reports, rendered pages, published credentials.

Handlers run in a thread pool, so the lock matters; the work done under it is a dict operation.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlLru(Generic[K, V]):
    """At most ``max_entries`` values, each dropped once its own time to live has passed.

    With ``weigh`` (a value's size in bytes) the values also total at most ``max_weight``:
    a count alone does not bound memory when values are as large as what a stranger sends.
    """

    def __init__(
        self,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
        *,
        weigh: Callable[[V], int] | None = None,
        max_weight: int = 0,
    ) -> None:
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._weigh = weigh
        self._max_weight = max_weight
        self._weight = 0

    def get(self, key: K) -> V | None:
        """The live value for ``key``, or ``None``."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            if hit[0] <= self._clock():
                self._pop(key)
                return None
            self._entries.move_to_end(key)
            return hit[1]

    def put(self, key: K, value: V, ttl_s: float) -> None:
        """Keep ``value`` for ``ttl_s`` seconds (not at all when ``ttl_s`` <= 0)."""
        if ttl_s <= 0:
            return
        weight = 0 if self._weigh is None else self._weigh(value)
        if self._weigh is not None and weight > self._max_weight:
            self.discard(key)  # larger than the whole budget: not kept, nor the old value
            return
        with self._lock:
            self._pop(key)
            self._entries[key] = (self._clock() + ttl_s, value)
            self._weight += weight
            while len(self._entries) > self._max or self._weight > self._max_weight > 0:
                self._pop(next(iter(self._entries)))

    def __len__(self) -> int:
        """How many entries are kept, live or expired (tests watch the bound)."""
        return len(self._entries)

    def _pop(self, key: K) -> None:
        """Remove ``key`` and its weight (under the lock)."""
        hit = self._entries.pop(key, None)
        if hit is not None and self._weigh is not None:
            self._weight -= self._weigh(hit[1])

    def discard(self, key: K) -> None:
        """Forget ``key`` (an invalidation: the value changed)."""
        with self._lock:
            self._pop(key)

    def discard_where(self, matches: Callable[[K], bool]) -> None:
        """Forget every key ``matches`` accepts (an invalidation by part of a key)."""
        with self._lock:
            for key in [key for key in self._entries if matches(key)]:
                self._pop(key)

    def clear(self) -> None:
        """Forget everything (tests, and settings changes)."""
        with self._lock:
            self._entries.clear()
            self._weight = 0
