"""Engine and session factory; the one place that knows SQLite from PostgreSQL.

Services own the transaction (they commit once); ``get_session`` only yields, rolls back on
error and closes. The CLI uses :func:`session_scope` under the same rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys and write-intent transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine, context: object | None = None) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (responses are built after it).

    ``context`` (the :class:`app.core.context.AppContext`) rides along in ``session.info`` so
    seams with a session-only signature (``verify_document``) can reach settings and keys.
    """
    info = {"context": context} if context is not None else {}
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False, info=info)


def get_session(request: Request) -> Iterator[Session]:
    """Request-scoped session: yields, rolls back anything left uncommitted, closes."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    session = factory()
    try:
        yield session
    except Exception:
        session.rollback()
        raise
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


def is_postgresql(session: Session) -> bool:
    """True when the session is bound to PostgreSQL (row locks and SKIP LOCKED available)."""
    return session.get_bind().dialect.name == "postgresql"


SessionDep = Annotated[Session, Depends(get_session)]
