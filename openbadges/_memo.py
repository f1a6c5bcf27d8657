"""A small bounded memo of pure decodings, keyed by their whole input.

Verifying a credential decodes the same few things again and again: the issuer's public keys
(base58 Multikey or JWK, 3-4 times per credential page) and the bitstrings of its status lists
(base64url, then GZIP). The decodings are pure functions of a string, so their results are kept
here keyed by that string itself (never by a URL or an id): a key rotated or a list re-signed is
a different input, decoded afresh, so a memo can never answer for content it was not given.
Failures are never kept (the exception reaches the caller each time), and only immutable
results are (``bytes``, :class:`~openbadges.keys.PublicKey`).

Bounded in entries and, for large values, in total weight (bytes); the least recently used entry
goes first. Thread-safe: the verifier runs in a server's thread pool.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["BoundedMemo"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedMemo(Generic[K, V]):
    """At most ``max_entries`` results weighing at most ``max_weight`` in all (LRU)."""

    def __init__(
        self,
        max_entries: int,
        *,
        max_weight: int | None = None,
        weigh: Callable[[V], int] | None = None,
    ) -> None:
        """Create an empty memo.

        Args:
            max_entries: the most results kept.
            max_weight: the most total weight kept (``weigh`` of each result); a result heavier
                than a quarter of it is returned and not kept.
            weigh: the weight of a result (for example ``len`` of bytes); required with
                ``max_weight``.
        """
        if max_entries < 1 or (max_weight is not None and weigh is None):
            raise ValueError("a memo needs max_entries >= 1, and weigh with max_weight")
        self._max_entries = max_entries
        self._max_weight = max_weight
        self._weigh = weigh
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def recall(self, key: K, compute: Callable[[], V]) -> V:
        """The result kept for ``key``, else ``compute()`` (kept unless it raises or is too heavy).

        ``compute`` must be a pure function of ``key`` alone: the memo's promise is that the
        result is the one computing would give.
        """
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                return hit[0]
        value = compute()  # outside the lock: two threads may both compute, both get the same
        weight = 0 if self._weigh is None else self._weigh(value)
        if self._max_weight is not None and weight * 4 > self._max_weight:
            return value
        with self._lock:
            if key not in self._entries:
                self._entries[key] = (value, weight)
                self._weight += weight
                self._evict()
        return value

    def _evict(self) -> None:
        while len(self._entries) > self._max_entries or (
            self._max_weight is not None and self._weight > self._max_weight
        ):
            _, (_, weight) = self._entries.popitem(last=False)
            self._weight -= weight

    def __len__(self) -> int:
        """How many results are kept."""
        return len(self._entries)

    @property
    def weight(self) -> int:
        """The total weight of the kept results."""
        return self._weight

    def clear(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self._entries.clear()
            self._weight = 0
