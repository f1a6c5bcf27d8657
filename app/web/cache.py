"""The page caches' TTL-LRU; it lives in :mod:`app.core.cache` (credentials use it too)."""

from __future__ import annotations

from app.core.cache import TtlLru

__all__ = ["TtlLru"]
