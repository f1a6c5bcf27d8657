"""Per-worker caches are bounded in bytes where their values are as large as input (issue 9, 18c)."""

from __future__ import annotations

from app.core import fetch
from app.core.cache import TtlLru
from app.core.fetch import Fetched
from app.web import credential_page, downloads


def test_a_weighed_cache_keeps_its_byte_budget() -> None:
    cache: TtlLru[int, bytes] = TtlLru(1000, weigh=len, max_weight=10_000)
    for n in range(100):
        cache.put(n, b"x" * 1_000, 60)
    assert len(cache) == 10
    assert cache.get(99) is not None
    assert cache.get(0) is None
    cache.put(1000, b"x" * 20_000, 60)  # larger than the whole budget: not kept
    assert cache.get(1000) is None
    assert len(cache) == 10
    cache.put(99, b"y", 60)  # replacing frees the old value's weight
    for n in range(200, 209):
        cache.put(n, b"x" * 1_000, 60)
    assert cache.get(99) == b"y"


def test_the_fetch_cache_holds_at_most_its_byte_budget() -> None:
    cache = fetch._new_cache(lambda: 0.0)
    for n in range(512):
        cache.put(
            f"https://example.org/{n}", Fetched("u", "application/json", b"x" * 1_000_000), 60
        )
    assert len(cache) <= fetch.CACHE_BYTES // 1_000_000


def test_pages_and_baked_badges_are_bounded_in_bytes() -> None:
    assert credential_page._pages._max_weight == credential_page.PAGE_CACHE_BYTES
    assert downloads._baked._max_weight == downloads.BAKED_CACHE_BYTES
