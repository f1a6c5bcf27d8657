"""What a page not yet cached asks SQLite: its row once (one SELECT on its own, which also gives
the state the page cache is keyed on), and anything the worker's memos lack in a read-only
transaction (issue 9, item 18d; the
render must not take the write lock, 8a9a5ae)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from starlette.requests import Request
from web_support import Issuer, fresh_issuer

from app import hot
from app.credentials import public_reads
from app.hot import public as hot_public
from app.hot import usage

HTML = {"Accept": "text/html"}


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[Issuer]:
    with fresh_issuer(tmp_path) as fresh:
        yield fresh


def _statements_of_a_view(issuer: Issuer, credential_id: str) -> list[str]:
    """Every statement SQLite runs for one view, as its driver connections trace them (the
    page's row is read on a driver connection of the thread's own, beside SQLAlchemy)."""
    seen: list[str] = []
    engine = issuer.client.app.state.engine  # type: ignore[attr-defined]

    def trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(lambda sql: seen.append(" ".join(sql.split())))

    engine.dispose()  # every connection the view uses is made, and traced, from here on
    event.listen(engine, "connect", trace)
    try:
        response = issuer.client.get(f"/credentials/{credential_id}", headers=HTML)
    finally:
        event.remove(engine, "connect", trace)
    assert response.status_code == 200, response.text
    assert "data-banner" in response.text
    return seen


def test_a_cold_page_reads_its_row_once_and_never_takes_the_write_lock(
    issuer: Issuer,
) -> None:
    achievement = issuer.achievement("Statistics")
    warm, cold = issuer.issue(achievement), issuer.issue(achievement, name="Grace")
    _statements_of_a_view(issuer, warm)  # the keys, the status lists and the issuer are read
    hot_public.public_states.clear()
    usage.usage_counts.clear()

    seen = _statements_of_a_view(issuer, cold)

    assert not [s for s in seen if "IMMEDIATE" in s.upper()], seen
    begins = [s for s in seen if s.upper().startswith("BEGIN")]
    reads = [s for s in seen if s.upper().startswith("SELECT")]
    row_reads = [s for s in reads if "credentials.document" in s]
    assert reads == row_reads, seen  # the page's columns, read once: no separate state read
    assert len(row_reads) == 1, seen
    assert begins == [], seen  # one statement on its own; everything else from memory
    assert hot_public.public_states.get(uuid.UUID(cold)) is not None  # its state remembered
    assert sum(usage.usage_counts.counts.values()) == 1  # the view is counted
    key = next(iter(usage.usage_counts.counts))
    assert key[3] == usage.VIEW


def test_a_cold_page_reads_what_its_memos_lack_without_the_write_lock(issuer: Issuer) -> None:
    achievement = issuer.achievement("Statistics")
    cold = issuer.issue(achievement)
    hot.clear_all()  # no status list, key or issuer in this worker's memory

    seen = _statements_of_a_view(issuer, cold)

    begins = [s for s in seen if s.upper().startswith("BEGIN")]
    assert begins == ["BEGIN"], seen  # one read-only transaction for the memos' misses
    assert not [s for s in seen if "IMMEDIATE" in s.upper()], seen
    assert any("status_lists" in s for s in seen[seen.index(begins[0]) :]), seen


def test_a_cold_page_renders_while_another_connection_holds_the_write_lock(
    issuer: Issuer,
) -> None:
    achievement = issuer.achievement("Statistics")
    warm, cold = issuer.issue(achievement), issuer.issue(achievement, name="Grace")
    _statements_of_a_view(issuer, warm)
    hot_public.public_states.clear()
    engine = issuer.client.app.state.engine  # type: ignore[attr-defined]

    def no_waiting(dbapi_connection: Any, *_args: Any) -> None:
        # A render asking for the write lock now fails at once instead of waiting 30 s.
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    writer = engine.raw_connection()
    event.listen(engine, "checkout", no_waiting)
    try:
        writer.cursor().execute("BEGIN IMMEDIATE")  # a writer in the middle of its transaction
        # Read-only transactions read the last committed state (WAL) beside it.
        _statements_of_a_view(issuer, cold)
    finally:
        event.remove(engine, "checkout", no_waiting)
        writer.rollback()
        writer.close()


def test_cold_pages_render_at_most_renders_at_once_per_worker(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    achievement = issuer.achievement("Statistics")
    ids = [uuid.UUID(issuer.issue(achievement, name=f"Learner {n}")) for n in range(10)]
    app = issuer.client.app
    busy, most = 0, 0
    guard = threading.Lock()
    real_render = public_reads._render_page

    def render(*args: Any) -> Any:
        nonlocal busy, most
        with guard:
            busy += 1
            most = max(most, busy)
        try:
            time.sleep(0.05)  # long enough for every request to be waiting
            return real_render(*args)
        finally:
            with guard:
                busy -= 1

    monkeypatch.setattr(public_reads, "_render_page", render)

    def request() -> Request:
        headers = [(b"accept", b"text/html"), (b"host", b"testserver")]
        scope = {"type": "http", "method": "GET", "path": "/", "headers": headers, "app": app}
        return Request({**scope, "query_string": b"", "scheme": "http", "root_path": ""})

    async def views() -> list[Any]:
        return await asyncio.gather(
            *(public_reads.answer(request(), i, "page", memory_only=False) for i in ids)
        )

    responses = asyncio.run(views())
    assert [r.status_code for r in responses] == [200] * len(ids)
    assert most == public_reads.RENDERS_AT_ONCE
