"""Per-worker caches are bounded in bytes where their values are as large as input (issue 9, 18c)."""

from __future__ import annotations

import pytest

from app.core import fetch
from app.core.cache import TtlLru
from app.core.fetch import Fetched
from app.hot import public as hot_public
from app.hot import verification as hot_verification
from app.web import credential_page


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
    cache = fetch.new_fetch_cache(lambda: 0.0)
    for n in range(512):
        cache.put(
            (False, f"https://example.org/{n}"),
            Fetched("u", "application/json", b"x" * 1_000_000),
            60,
        )
    assert len(cache) <= fetch.FETCH_CACHE_BYTES // 1_000_000
    assert hot_verification.fetched._max_weight == fetch.FETCH_CACHE_BYTES


def test_pages_and_baked_badges_are_bounded_in_bytes() -> None:
    assert hot_public.rendered_pages._max_weight == hot_public.PAGE_CACHE_BYTES
    assert hot_public.baked_badges._max_weight == hot_public.BAKED_CACHE_BYTES
    assert hot_public.rendered_pages._weigh is not None  # without it the budget counts nothing
    assert hot_public.baked_badges._weigh is not None


def test_published_credentials_are_bounded_in_bytes() -> None:
    """A credential carries its achievement's image (a ``data:`` URI of up to the body limit),
    so 4,096 of them counted alone could hold gigabytes in one worker."""
    import uuid

    from app.credentials import published

    hot_public.published.clear()
    try:
        for _ in range(200):
            ident = uuid.uuid4()
            big = published.PublishedCredential(ident, b"x" * 1_000_000, "y" * 1_300_000)
            hot_public.published.put(ident, big, 60)
        kept = list(hot_public.published._entries.values())
        assert sum(len(v.json or b"") + len(v.jwt or "") for _, v in kept) <= 64_000_000
        assert kept, "the newest credentials are still kept"
    finally:
        hot_public.published.clear()


def test_verification_reports_of_pages_are_bounded_in_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each kept report holds the credential it verified (as large as its image)."""
    import uuid
    from types import SimpleNamespace

    monkeypatch.setattr(
        credential_page, "_verify", lambda _session, credential, _may_wait: credential
    )
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace()))
    hot_public.page_reports.clear()
    try:
        for _ in range(200):
            credential = SimpleNamespace(
                id=uuid.uuid4(),
                revoked_at=None,
                suspended_at=None,
                valid_from=None,
                valid_until=None,
                document="x" * 1_000_000,
            )
            credential_page.cached_report(request, None, credential)  # type: ignore[arg-type]
        kept = [hit[0] for _, hit in hot_public.page_reports._entries.values()]
        assert sum(len(c.document) for c in kept) <= 64_000_000
        assert kept
    finally:
        hot_public.page_reports.clear()


def test_a_value_too_large_to_keep_replaces_the_old_one_all_the_same() -> None:
    """Not keeping the new value must not leave the old one answering for the key."""
    cache: TtlLru[str, bytes] = TtlLru(10, weigh=len, max_weight=100)
    cache.put("list", b"old", 60)
    cache.put("list", b"n" * 101, 60)
    assert cache.get("list") is None
    assert cache._weight == 0
