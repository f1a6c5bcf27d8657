"""What a page not yet cached asks SQLite: its row once (one SELECT on its own, which also gives
the state the page cache is keyed on), and anything the worker's memos lack in a read-only
transaction (issue 9, item 18d; the
render must not take the write lock, 8a9a5ae)."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import event
from starlette.requests import Request
from web_support import Issuer, fresh_issuer

from app import hot
from app.credentials import public_reads, published
from app.hot import public as hot_public
from app.hot import usage
from app.web import credential_page

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


def _page_request(app: Any) -> Request:
    headers = [(b"accept", b"text/html"), (b"host", b"testserver")]
    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers, "app": app}
    return Request({**scope, "query_string": b"", "scheme": "http", "root_path": ""})


def _verifications(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Each page verification from here on: (the thread it ran on, whether it could fetch)."""
    from app.verification import service

    calls: list[tuple[int, bool]] = []
    real = service.verify_own

    def recorded(*args: Any, **kwargs: Any) -> Any:
        calls.append((threading.get_ident(), kwargs.get("network", True)))
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "verify_own", recorded)
    return calls


def _view_on_a_loop(app: Any, credential_id: str) -> tuple[Any, int]:
    """One page view through :func:`public_reads.answer` and the event loop's thread."""

    async def view() -> tuple[Any, int]:
        response = await public_reads.answer(
            _page_request(app), uuid.UUID(credential_id), "page", memory_only=False
        )
        return response, threading.get_ident()

    return asyncio.run(view())


def test_a_cold_page_is_rendered_on_the_event_loop_without_the_network(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    achievement = issuer.achievement("Statistics")
    cold = issuer.issue(achievement)
    calls = _verifications(monkeypatch)

    response, loop_thread = _view_on_a_loop(issuer.client.app, cold)

    assert response.status_code == 200
    assert b'data-banner="verified"' in response.body
    assert calls == [(loop_thread, False)]


def test_a_page_whose_verification_needs_another_host_is_rendered_in_a_thread(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.verification import resolver

    achievement = issuer.achievement("Statistics")
    cold = issuer.issue(achievement)
    calls = _verifications(monkeypatch)
    real_own_path = resolver.own_path

    def issuer_documents_abroad(base_url: str, url: str) -> str | None:
        # The issuer's DID document as if another host served it (a foreign endorser's is).
        path = real_own_path(base_url, url)
        return None if path is not None and path.endswith("/did.json") else path

    monkeypatch.setattr(resolver, "own_path", issuer_documents_abroad)

    response, loop_thread = _view_on_a_loop(issuer.client.app, cold)

    assert response.status_code == 200
    assert [network for _, network in calls] == [False, True]
    assert calls[0][0] == loop_thread != calls[1][0]  # given up on the loop, done in a thread


def test_a_page_another_thread_is_verifying_is_not_waited_for_on_the_event_loop(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    achievement = issuer.achievement("Statistics")
    cold = issuer.issue(achievement)
    engine = issuer.client.app.state.engine  # type: ignore[attr-defined]
    row = published.page_credential_alone(engine, uuid.UUID(cold))
    lock = credential_page._lock_for(credential_page.cache_key(row))
    calls = _verifications(monkeypatch)
    with lock:  # a thread verifying this credential now
        with pytest.raises(credential_page.WouldWait):
            public_reads._render_page(_page_request(issuer.client.app), row, credential_page, False)
    assert calls == []  # nothing verified twice at once

    response, loop_thread = _view_on_a_loop(issuer.client.app, cold)
    assert response.status_code == 200
    assert calls == [(loop_thread, False)]


def test_cold_pages_fall_back_to_at_most_renders_at_once_threads_per_worker(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    achievement = issuer.achievement("Statistics")
    ids = [uuid.UUID(issuer.issue(achievement, name=f"Learner {n}")) for n in range(10)]
    app = issuer.client.app
    busy, most = 0, 0
    guard = threading.Lock()
    real_render = public_reads._render_page

    def render(request: Request, row: Any, pages: Any, may_wait: bool = True) -> Any:
        nonlocal busy, most
        if not may_wait:  # each page needs another host: every one goes to a thread
            raise credential_page.WouldWait
        with guard:
            busy += 1
            most = max(most, busy)
        try:
            time.sleep(0.05)  # long enough for every request to be waiting
            return real_render(request, row, pages)
        finally:
            with guard:
                busy -= 1

    monkeypatch.setattr(public_reads, "_render_page", render)

    async def views() -> list[Any]:
        return await asyncio.gather(
            *(public_reads.answer(_page_request(app), i, "page", memory_only=False) for i in ids)
        )

    responses = asyncio.run(views())
    assert [r.status_code for r in responses] == [200] * len(ids)
    assert most == public_reads.RENDERS_AT_ONCE


def test_a_burst_of_cold_pages_renders_one_per_round_of_the_event_loop(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop polls its sockets between two renders: a burst of cold pages (a crawler)
    must not keep every other connection of the worker waiting until the burst is done."""
    achievement = issuer.achievement("Statistics")
    ids = [uuid.UUID(issuer.issue(achievement, name=f"Learner {n}")) for n in range(5)]
    app = issuer.client.app
    events: list[str] = []
    real_render = public_reads._render_page

    def render(*args: Any, **kwargs: Any) -> Any:
        events.append("render")
        return real_render(*args, **kwargs)

    monkeypatch.setattr(public_reads, "_render_page", render)

    async def views() -> list[Any]:
        done = False

        async def ticker() -> None:  # one "tick" per round of the loop
            while not done:
                events.append("tick")
                await asyncio.sleep(0)

        ticking = asyncio.create_task(ticker())
        pages = await asyncio.gather(
            *(public_reads.answer(_page_request(app), i, "page", memory_only=False) for i in ids)
        )
        done = True
        await ticking
        return pages

    responses = asyncio.run(views())
    assert [r.status_code for r in responses] == [200] * len(ids)
    renders = [n for n, event in enumerate(events) if event == "render"]
    assert len(renders) == len(ids)
    assert all(b - a > 1 for a, b in itertools.pairwise(renders)), events


def test_a_cold_page_makes_no_template_module(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's macros come from template modules made once per process: an import "with
    context" makes its module again on every render (a sixth of the template's time)."""
    from jinja2 import Template

    achievement = issuer.achievement("Statistics")
    warm, cold = issuer.issue(achievement), issuer.issue(achievement, name="Grace")
    _view_on_a_loop(issuer.client.app, warm)
    made: list[str | None] = []
    real = Template.make_module

    def counted(self: Template, *args: Any, **kwargs: Any) -> Any:
        made.append(self.name)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Template, "make_module", counted)
    response, _ = _view_on_a_loop(issuer.client.app, cold)
    assert response.status_code == 200
    assert made == []


def test_a_cold_page_shows_the_document_its_verification_parsed(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stored JSON is parsed once for a cold page: the view reads the verifier's parse."""
    cold = issuer.issue(issuer.achievement("Statistics"), name="Grace")

    def parsed_again(_credential: Any) -> dict[str, Any]:
        raise AssertionError("the page parsed the stored document a second time")

    monkeypatch.setattr(credential_page, "_document", parsed_again)
    response, _ = _view_on_a_loop(issuer.client.app, cold)
    assert response.status_code == 200
    assert b"Grace" in response.body


def test_a_page_verified_from_its_jwt_shows_the_stored_document() -> None:
    """A JWT-only credential is verified from its VC-JWT: the view parses the stored JSON."""
    document = {"name": "from the document"}
    stored = SimpleNamespace(document=json.dumps(document), jwt="a.b.c", proof_format="jwt")
    of_jwt = SimpleNamespace(format="jwt", credential={"name": "from the token"})
    of_json = SimpleNamespace(format="json", credential={"name": "as verified"})
    assert credential_page._verified_document(of_jwt, stored) == document
    assert credential_page._verified_document(of_json, stored) == {"name": "as verified"}
    assert credential_page._verified_document(SimpleNamespace(), stored) == document
