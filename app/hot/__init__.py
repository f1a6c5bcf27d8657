"""Every per-worker cache and hint of the service, declared in one place.

A worker process keeps some answers in memory to skip a query, a signature or a fetch. Each
such store is declared here (:func:`app.hot.registry.declare`) with its time to live, the
domain events after which it is cleared (:mod:`app.hot.subscribers`) and what a stale entry can
cause, grouped by what it serves: :mod:`~app.hot.issuing`, :mod:`~app.hot.public`,
:mod:`~app.hot.verification`, and the usage counts waiting to be written
(:mod:`~app.hot.usage`). The services import their store from here and keep their own get/put
logic. No other module keeps mutable module-level memory (``tests/app/test_hot.py``).
"""

from __future__ import annotations

from app.hot.registry import CACHES, Cache, declare


def declared() -> list[Cache]:
    """Every declared store (importing each group first, so none is missed)."""
    from app.hot import issuing, public, usage, verification  # noqa: F401

    return list(CACHES)


def clear_all() -> None:
    """Empty every declared store: each test starts from a cold worker."""
    for cache in declared():
        cache.store.clear()


__all__ = ["Cache", "clear_all", "declare", "declared"]
