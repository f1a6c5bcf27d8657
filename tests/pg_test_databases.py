"""PostgreSQL databases made for one test session, under unique names, and dropped after it."""

from __future__ import annotations

import secrets

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

_created_databases: list[str] = []
"""PostgreSQL URLs of the databases this test session created (dropped when it ends)."""


def _admin_engine(url: str) -> Engine:
    """An autocommit engine on the server's ``postgres`` maintenance database.

    The database named in ``BADGES_TEST_DATABASE_URL`` is never created, dropped or written: it
    only lends the server address, user and a name prefix (it need not even exist).
    """
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def create_postgres_database(configured: str, suffix: str = "") -> str:
    """Create a uniquely named empty database next to ``configured``; returns its URL.

    The name is the configured name, a random part (so parallel runs and xdist workers never
    meet) and ``suffix``; every database made here is dropped at the end of the session.
    """
    parsed = make_url(configured)
    prefix = (parsed.database or "badges")[:24]
    name = f"{prefix}_t{secrets.token_hex(4)}{suffix}"[:63]
    url = parsed.set(database=name).render_as_string(hide_password=False)
    admin = _admin_engine(configured)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    _created_databases.append(url)
    return url


def drop_postgres_database(url: str) -> None:
    """Drop one database this session created (connections still open are ended first)."""
    if url in _created_databases:
        _created_databases.remove(url)
    admin = _admin_engine(url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def drop_created_databases() -> None:
    """Drop every database this session created."""
    for url in list(_created_databases):
        drop_postgres_database(url)
