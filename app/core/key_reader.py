"""PostgreSQL: the per-request API-key probe on the event loop (psycopg's async API).

Every issuer-scoped request reads its key's row (:func:`app.core.security.require_issuer`), so
that a revocation is effective everywhere once its transaction commits. Through the sync
engine that read needs a thread-pool hand-off: measured (``bench/bench_auth.py``), hand-off
and round trip cost ~600 us of CPU, where the same query on an async connection on the loop
costs ~150 us and blocks nothing. So a worker keeps a few autocommit async connections of its
own (no BEGIN/COMMIT: one SELECT is atomic) for this one query, prepared server-side.

Async connections belong to one event loop, and so does the reader: the application's
lifespan binds it to the server's loop (:meth:`AsyncKeyReader.bind`) and unbinds it at
shutdown. Any other loop (a test client without lifespan starts one per request, in threads
of its own) is not served (:meth:`serves_running_loop` is False) and takes the sync path. A
connection that fails is dropped with every idle one (a server restart ends them all) and the
query is tried once more if it was on a reused connection; a database that cannot be reached
is a 503 (:class:`app.core.errors.ServiceUnavailable`), logged without values.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from app.core.db_errors import describe
from app.core.errors import ServiceUnavailable

logger = logging.getLogger("app.db")

_KEY_BY_HASH = (
    "SELECT id, issuer_id, prefix FROM api_keys WHERE token_hash = %s AND revoked_at IS NULL"
)
CONNECT_TIMEOUT_S = 5
QUERY_TIMEOUT_S = 10.0
"""A server that accepts but never answers (a hung host, a network that drops packets) would
hold the request and one of the few connections for good; past this the check is a 503."""


class AsyncKeyReader:
    """At most ``size`` async connections per worker, used one query at a time each."""

    def __init__(self, database_url: str, size: int = 4) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._size = size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots = asyncio.Semaphore(size)
        self._idle: list[psycopg.AsyncConnection[Any]] = []

    def bind(self) -> None:
        """Serve the running event loop (called by the lifespan, on the server's loop)."""
        self.close()
        self._loop = asyncio.get_running_loop()
        self._slots = asyncio.Semaphore(self._size)

    def serves_running_loop(self) -> bool:
        """True on the loop :meth:`bind` was called on (and not closed since)."""
        try:
            return self._loop is asyncio.get_running_loop()
        except RuntimeError:
            return False

    async def key_row(self, token_hash: str) -> tuple[Any, ...] | None:
        """``(id, issuer_id, prefix)`` of the unrevoked key with this hash, or None; only on
        the bound loop."""
        async with self._slots:
            attempts = 2 if self._idle else 1  # an idle connection may have been ended
            for attempt in range(attempts):
                try:
                    async with asyncio.timeout(QUERY_TIMEOUT_S):
                        return await self._query(token_hash)
                except TimeoutError:
                    self._drop_idle()
                    logger.warning("database unavailable (API-key check timed out)")
                    raise ServiceUnavailable() from None
                except psycopg.OperationalError as error:
                    self._drop_idle()  # a restarted server ended every idle connection
                    if attempt + 1 < attempts:
                        continue
                    logger.warning("database unavailable (API-key check)", extra=describe(error))
                    raise ServiceUnavailable() from None
        raise AssertionError("unreachable")

    async def _query(self, token_hash: str) -> tuple[Any, ...] | None:
        connection = self._idle.pop() if self._idle else await self._connect()
        try:
            cursor = await connection.execute(_KEY_BY_HASH, (token_hash,), prepare=True)
            row = await cursor.fetchone()
        except BaseException:
            _close_now(connection)
            raise
        self._idle.append(connection)
        return row

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
        )

    def close(self) -> None:
        """Close the idle connections and serve no loop (at shutdown)."""
        self._loop = None
        self._drop_idle()

    def _drop_idle(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            _close_now(connection)


def _close_now(connection: psycopg.AsyncConnection[Any]) -> None:
    """Close without awaiting (the socket is closed by libpq; nothing is sent that can block)."""
    try:
        connection.pgconn.finish()
    except psycopg.Error:
        pass


def make_key_reader(database_url: str) -> AsyncKeyReader | None:
    """A reader for PostgreSQL URLs (psycopg), None otherwise (SQLite reads inline)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql" or url.get_driver_name() != "psycopg":
        return None
    return AsyncKeyReader(database_url)
