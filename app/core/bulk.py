"""Many rows into one table at once: ``COPY`` on PostgreSQL, one executemany elsewhere.

An executemany INSERT on psycopg is pipelined (one round trip) but the server still parses,
binds and executes one statement per row; ``COPY … FROM STDIN`` is one statement for all of
them. ``bench/bench_batch.py`` is where this shows (the batch writer's rows, the upload's
rows).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, exc, insert


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` in the connection's transaction: each a value by column key, for the
    columns the first row names (the others take their server defaults, or NULL).

    Values go through each column type's bind processing, as with an INSERT (UTC datetimes,
    JSON). A database error is raised as SQLAlchemy's exception for it (``IntegrityError``
    with the driver's diagnostics, ``OperationalError`` for an outage), as an INSERT's is;
    the transaction is then failed and must be rolled back.
    """
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), list(rows))
        return
    dialect = connection.dialect
    columns = [column for column in table.c if column.key in rows[0]]
    processors: list[Callable[[Any], Any] | None] = [
        column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns
    ]
    keys = [column.key for column in columns]
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in columns)
    statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        value if process is None else process(value)
                        for value, process in zip(
                            (row[key] for key in keys), processors, strict=True
                        )
                    ]
                )
    except dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(
            statement, None, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
