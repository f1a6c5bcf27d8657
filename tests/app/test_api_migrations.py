"""Migrations: empty → head, no drift against the models, head → base, and up again.

On PostgreSQL the head also holds procrastinate's job queue (tables, functions, types named
``procrastinate_*``, revision ``0007_job_queue``): the models do not describe them, so the
model comparison leaves them out, and they are checked on their own: present at the head, and
every one of them gone after the downgrade.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from app.core.migrations import downgrade, upgrade
from app.models import Base

QUEUE_PREFIX = "procrastinate_"
"""procrastinate's objects (:mod:`app.jobs.queue`), which no model describes."""
QUEUE_TABLES = {
    "procrastinate_jobs",
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_workers",
}


def _all_tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    return {t for t in _all_tables(url) if not t.startswith(QUEUE_PREFIX)}


def _queue_objects(url: str) -> set[str]:
    """Every relation, function and type named ``procrastinate_*`` (PostgreSQL)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return set(
                connection.execute(
                    text(
                        "SELECT relname FROM pg_class WHERE relname LIKE 'procrastinate%' "
                        "UNION SELECT proname FROM pg_proc WHERE proname LIKE 'procrastinate%' "
                        "UNION SELECT typname FROM pg_type WHERE typname LIKE '%procrastinate%'"
                    )
                ).scalars()
            )
    finally:
        engine.dispose()


def _not_queue(name: str | None, type_: str, _parent: object) -> bool:
    return not (type_ == "table" and name is not None and name.startswith(QUEUE_PREFIX))


def _drift(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_name": _not_queue}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_upgrade_check_downgrade_upgrade(
    tmp_path: Path, database_url_factory: Callable[[Path, str], str]
) -> None:
    url = database_url_factory(tmp_path, "_migrations")
    postgresql = url.startswith("postgresql")
    upgrade(url)
    assert _tables(url) == set(Base.metadata.tables)
    assert _drift(url) == []
    queue = _all_tables(url) - _tables(url)
    assert queue == (QUEUE_TABLES if postgresql else set())  # none on SQLite
    downgrade(url, "base")
    assert _all_tables(url) == set()
    if postgresql:
        assert _queue_objects(url) == set()  # functions and types too
    upgrade(url)
    assert _tables(url) == set(Base.metadata.tables)
