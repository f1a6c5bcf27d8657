"""A SELECT compiled once and run on a SQLite driver connection of the calling thread's own.

The credential page not yet cached reads one row by its primary key. Through a SQLAlchemy
``Connection`` (pool checkout and return, execution context, result object) that read cost
~170 us, of which the statement itself took ~20 (``sqlite3`` on the same row, measured in
one run); rendering cold pages, the layers around it were most of a page's database time.
:class:`DriverRead` keeps SQLAlchemy as the one description of the statement and of its
columns' types (it compiles the statement for the engine's dialect and applies each type's
own bind and result processors, so values come back exactly as ``Connection.execute`` gives
them) and runs the compiled text on a driver connection each thread takes from the engine's
pool once and keeps (detached from the pool, made by it: the same pragmas).

Only for SQLite and for one statement: its connections are in autocommit mode
(``app.core.db``), so the SELECT is its own read transaction, as with ``ONE_READ``. A driver
error is raised as SQLAlchemy's (``DBAPIError``), so an outage is the same 503 as elsewhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Dialect, Engine, Select, exc
from sqlalchemy.pool import Pool


class DriverRead:
    """``statement`` (a SELECT with named bound parameters) compiled for ``dialect``, ready to
    run on the driver connections of an engine of it; rows come back as dicts keyed by column
    name."""

    def __init__(self, statement: Select[*tuple[Any, ...]], dialect: Dialect) -> None:
        if dialect.name != "sqlite":
            raise ValueError("DriverRead runs on SQLite only")
        compiled = statement.compile(dialect=dialect)
        self._sql = compiled.string
        self._dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
        positions = compiled.positiontup or []
        self._params: list[tuple[str, Callable[[Any], Any] | None]] = [
            (name, compiled.binds[name].type._cached_bind_processor(dialect)) for name in positions
        ]
        self._columns: list[tuple[str, Callable[[Any], Any] | None]] = [
            (str(column.key), column.type._cached_result_processor(dialect, None))
            for column in statement.selected_columns
        ]
        self._held = threading.local()

    def first(self, engine: Engine, **params: Any) -> dict[str, Any] | None:
        """The first row for ``params`` on ``engine`` (of the dialect this was made for), or
        None."""
        values = []
        for name, bind in self._params:
            value = params[name]
            values.append(value if bind is None else bind(value))
        try:
            cursor = self._connection(engine).execute(self._sql, values)
            row = cursor.fetchone()
            cursor.close()
        except self._dbapi_error as error:
            self._held.pair = None  # the next read takes a fresh connection
            raise exc.DBAPIError.instance(
                self._sql, values, error, self._dbapi_error, hide_parameters=True
            ) from error
        if row is None:
            return None
        return {
            name: value if process is None else process(value)
            for (name, process), value in zip(self._columns, row, strict=True)
        }

    def _connection(self, engine: Engine) -> Any:
        """This thread's driver connection, taken from ``engine``'s pool on first use and
        again once the engine was disposed (a new pool: its files may have changed)."""
        pool: Pool = engine.pool
        held = getattr(self._held, "pair", None)
        if held is not None and held[0] is pool:
            return held[1]
        fairy = engine.raw_connection()
        connection = fairy.driver_connection
        fairy.detach()  # this thread's from now on; closed when the thread's state is freed
        self._held.pair = (pool, connection, fairy)
        if held is not None:
            held[2].close()
        return connection
