"""Alembic environment: metadata from app.models, URL from settings (tests may override)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from app.core.config import Settings
from app.core.db import make_engine
from app.models import Base
from app.models.base import UTCDateTime

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    """The URL set on the Config (tests, CLI), else BADGES_DATABASE_URL / the default."""
    configured = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    return str(configured) if configured else Settings().database_url


def run_migrations_offline() -> None:
    """Emit SQL without a database connection (``alembic upgrade --sql``)."""
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def _ours(name: str | None, type_: str, _parent: object) -> bool:
    """Autogenerate leaves the job queue's own tables alone (``procrastinate_*``: created by
    migration 0007 from the library's schema, not from our models)."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def run_migrations_online() -> None:
    """Run against a live connection (one passed in by tests, or a new engine)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = _url()
    engine = (
        make_engine(url)
        if url.startswith("sqlite")
        else engine_from_config(
            {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool
        )
    )
    with engine.connect() as connection:
        if url.startswith("sqlite"):
            _run_sqlite(connection)
        else:
            _run(connection)
    engine.dispose()


def _run_sqlite(connection: Connection) -> None:
    """SQLite's batch mode copies a table and drops the old one, which its foreign-key checks
    refuse while other tables' rows point at it: the checks are off during the migration
    (SQLite's own advice, https://www.sqlite.org/lang_altertable.html#otheralter), and the
    whole database is checked afterwards."""
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction: SQLite ignores it inside
    try:
        _run(connection)
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(
                f"the migration left rows whose foreign keys point nowhere: {broken[:5]}"
            )
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _render_item(type_: str, obj: object, _autogen_context: object) -> str | bool:
    """Render our UTC TypeDecorator as the plain column type, so revisions import nothing of app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: object) -> None:
    # batch mode: SQLite cannot ALTER most things in place; Alembic copies the table instead.
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
        include_name=_ours,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
