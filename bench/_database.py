"""What the database benchmarks share: a PostgreSQL database of their own, and its option.

A bench recreates its database on every run so that runs start from the same empty tables
and can be compared; the admin connection goes to the server's ``postgres`` database, as one
cannot drop the database one is connected to.
"""

from __future__ import annotations

import argparse
import os

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

LOCAL_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def parser_with_database_url(
    description: str | None, *, env: str, name: str
) -> argparse.ArgumentParser:
    """The bench's argument parser (its docstring as help) with ``--database-url``.

    The default is the environment variable ``env`` when set, else database ``name`` on the
    local server.
    """
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get(env, f"{LOCAL_SERVER}/{name}"))
    return parser


def _admin_engine(url: str) -> Engine:
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def recreate_database(url: str) -> None:
    """Drop and create the PostgreSQL database ``url`` names; nothing for another backend.

    Raises :class:`sqlalchemy.exc.OperationalError` when the server cannot be reached.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = _admin_engine(url)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    """Drop the PostgreSQL database ``url`` names (when a bench cleans up after itself)."""
    admin = _admin_engine(url)
    try:
        with admin.connect() as connection:
            connection.execute(
                text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
            )
    finally:
        admin.dispose()
