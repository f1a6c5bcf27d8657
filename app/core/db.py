"""Engine and session factory; the one place that knows SQLite from PostgreSQL.

Services own the transaction (they commit once); ``get_session`` only yields, rolls back on
error and closes. The CLI uses :func:`session_scope` under the same rule.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys and write-intent transactions.

    ``hide_parameters``: an error's text never quotes the bound values (a recipient e-mail,
    an API-key hash); ``app.core.db_errors`` decides what of an error is logged.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, hide_parameters=True)
    _ping_idle_connections(engine)
    return engine


def make_autocommit_engine(url: str, *, pool_size: int = 5) -> Engine | None:
    """PostgreSQL only: connections that are always in autocommit, for one-statement writes.

    PostgreSQL runs a single statement atomically on its own, so such a write needs neither
    BEGIN nor COMMIT. A pool of its own saves switching a shared connection into autocommit
    and back on every use, and there is no transaction to reset when one is returned.
    """
    if make_url(url).get_backend_name() != "postgresql":
        return None
    engine = create_engine(
        url,
        isolation_level="AUTOCOMMIT",
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_reset_on_return=None,
        hide_parameters=True,
    )
    _ping_idle_connections(engine)
    return engine


IDLE_PING_S = 10.0
"""A pooled connection idle longer than this is pinged before use."""


def _ping_idle_connections(engine: Engine) -> None:
    """``pool_pre_ping``, but only for connections that sat idle (SQLAlchemy's custom recipe).

    A ping is a round trip (~0.2 ms under load) on every checkout, and a busy server checks
    connections out constantly: a connection used a moment ago is alive. One idle for a while
    may have been dropped (server restart, firewall), so it is pinged, and a failure makes the
    pool replace it before the request sees an error.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_S:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as error:  # any driver error: the connection is unusable
            raise exc.DisconnectionError() from error


def _configure_sqlite(engine: Engine) -> None:
    """Pragmas per connection, and ``BEGIN IMMEDIATE`` so concurrent writers queue, not fail.

    With pysqlite's default deferred BEGIN, a transaction that reads and then writes can get
    SQLITE_BUSY at once when another writer committed in between; taking the write lock at
    BEGIN makes writers wait on ``busy_timeout`` instead (SQLAlchemy's pysqlite recipe).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get("badges_one_read", False):
            return  # one SELECT is atomic on its own (SQLite's implicit read transaction)
        # Reads (see READ_ONLY) take no write lock, so page views never queue behind writers.
        read_only = options.get("badges_read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


READ_ONLY = {"badges_read_only": True}
"""Execution options of a read-only unit of work: on SQLite it begins DEFERRED (no write lock).

Pass to ``session.connection(execution_options=READ_ONLY)`` before the first query.
"""

ONE_READ = {"badges_read_only": True, "badges_one_read": True}
"""Execution options of a connection that runs a single SELECT and closes: on SQLite no
BEGIN/ROLLBACK at all (the statement is its own read transaction; saves ~2/3 of a point
read's cost, ``bench/bench_auth.py``). Never for more than one statement: two reads would not
share a snapshot. PostgreSQL ignores it (use the autocommit engine there)."""


def make_sessionmaker(
    engine: Engine, context: object | None = None, autocommit_engine: Engine | None = None
) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (responses are built after it).

    ``context`` (the :class:`app.core.context.AppContext`) rides along in ``session.info`` so
    seams with a session-only signature (``verify_document``) can reach settings and keys;
    ``autocommit_engine`` (:func:`make_autocommit_engine`) too, for
    :func:`single_statement_connection`.
    """
    info: dict[str, object] = {} if context is None else {"context": context}
    if autocommit_engine is not None:
        info["autocommit_engine"] = autocommit_engine
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False, info=info)


def _request_session_scope(request: Request) -> Iterator[Session]:
    """A session for this request: yields, rolls back anything left uncommitted, closes."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    session = factory()
    try:
        yield session
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Request-scoped session (the ``SessionDep`` dependency); same contract as above.

    An ``async`` generator on purpose: FastAPI runs a plain generator dependency in the thread
    pool twice per request (to enter and to leave), and each hop costs a thread hand-off and a
    GIL round. Making a session does no I/O (a connection is checked out on first use), nor
    does closing one with no transaction, so both happen on the event loop; only a rollback
    or close that may talk to the database goes to the thread pool.
    """
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    session = factory()
    try:
        yield session
    except Exception:
        await _without_blocking(session, session.rollback)
        raise
    finally:
        await _without_blocking(session, session.close)


async def _without_blocking(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` inline when the session holds no transaction, else in the thread pool."""
    if session.in_transaction():
        await run_in_threadpool(action)
    else:
        action()


@contextmanager
def request_session(request: Request) -> Iterator[Session]:
    """The request session outside dependency injection, for code that needs one only on a
    cache miss (run it in the thread pool); it honours ``app.dependency_overrides[get_session]``
    (tests join a transaction).
    """
    override = request.app.dependency_overrides.get(get_session)
    provider = override() if override is not None else _request_session_scope(request)
    with contextmanager(lambda: provider)() as session:
        yield session


@contextmanager
def read_session(request: Request) -> Iterator[Session]:
    """A request session for reads that are mostly answered from this worker's memory.

    Nothing is asked of the database until a query needs it (no connection, BEGIN or ROLLBACK
    when every read hits a memo), and a transaction it begins is read-only (``READ_ONLY``:
    SQLite takes no write lock). Honours ``dependency_overrides[get_session]`` as
    :func:`request_session` does.
    """
    if get_session in request.app.dependency_overrides:
        with request_session(request) as session:
            yield session
        return
    state = request.app.state
    engine: Engine | None = getattr(state, "read_only_engine", None)
    if engine is None:  # shares the pool and the events of the application's engine
        engine = state.read_only_engine = state.engine.execution_options(**READ_ONLY)
    factory: sessionmaker[Session] = state.sessionmaker
    session = factory(bind=engine)
    try:
        yield session
    finally:
        session.close()


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for CLI and background code; services inside still commit themselves."""
    session = factory()
    try:
        yield session
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def keep_loaded(session: Session, *objects: object) -> None:
    """Hold strong references to ``objects`` for the session's life.

    The identity map holds unmodified objects weakly: once the caller's variable is gone, a
    later ``Session.get`` of the same row in the same request queries again. Issuing loads the
    achievement once and several seams (the programs hook, the API response) look it up by id.
    """
    session.info.setdefault("keep_loaded", []).extend(objects)


def reads_are_local(request: Request) -> bool:
    """True when the application's database is SQLite: a point read is an in-process library
    call (tens of microseconds, no network to hang on), so async routes may run it inline."""
    engine: Engine = request.app.state.engine
    return engine.dialect.name == "sqlite"


def is_postgresql(session: Session) -> bool:
    """True when the session is bound to PostgreSQL (row locks and SKIP LOCKED available)."""
    return session.get_bind().dialect.name == "postgresql"


@contextmanager
def single_statement_connection(session: Session) -> Iterator[Connection]:
    """Where a write that is one statement runs: an autocommit connection when it can.

    That is when the session has an autocommit engine (PostgreSQL) and has begun nothing yet:
    the statement is then atomic and durable on its own, one round trip in all. Otherwise
    (SQLite, an earlier read in the same request, a session joined to a test's transaction)
    the statement joins the session's transaction and the caller's commit ends it.
    """
    engine = session.info.get("autocommit_engine")
    if isinstance(engine, Engine) and not session.in_transaction():
        with engine.connect() as connection:
            yield connection
    else:
        yield session.connection()


SessionDep = Annotated[Session, Depends(get_session)]
