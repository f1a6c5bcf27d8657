"""The declaration of one per-worker cache, and the registry of every declared one.

A declaration says what a store is for, how long an entry may live, which domain events clear
it (:mod:`app.hot.subscribers`) and what a stale entry can cause, so that the question "what
can this worker answer from memory, and how wrong can it be" has one place to be answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar

from app.core.events import DomainEvent


class Store(Protocol):
    """What the registry needs of a store: emptied by :func:`clear_all`, its size watched."""

    def clear(self) -> None: ...
    def __len__(self) -> int: ...


S = TypeVar("S", bound=Store)


@dataclass(frozen=True, slots=True)
class Cache:
    """One per-worker store.

    ``ttl_s`` is the longest an entry is kept (``None``: not limited by time, ``why_no_ttl``
    says why that is fine); ``cleared_by`` the events after whose commit this worker drops the
    affected entries (empty: ``why_no_event`` says why none has to).
    """

    name: str
    store: Store
    ttl_s: float | None
    cleared_by: tuple[type[DomainEvent], ...]
    stale_effect: str
    why_no_ttl: str = ""
    why_no_event: str = ""


CACHES: list[Cache] = []
"""Every declared store, in declaration order (the modules of :mod:`app.hot` append to it)."""


def declare(
    store: S,
    *,
    name: str,
    ttl_s: float | None,
    cleared_by: tuple[type[DomainEvent], ...] = (),
    stale_effect: str,
    why_no_ttl: str = "",
    why_no_event: str = "",
) -> S:
    """Register ``store`` under ``name`` and return it (the module keeps it as its store)."""
    if any(cache.name == name for cache in CACHES):
        raise ValueError(f"per-worker store {name!r} declared twice")
    CACHES.append(Cache(name, store, ttl_s, cleared_by, stale_effect, why_no_ttl, why_no_event))
    return store
