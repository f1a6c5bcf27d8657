"""Job queue: procrastinate's tables and functions (PostgreSQL only)

``badges worker`` processes take batch jobs from these (:mod:`app.jobs.queue`). The schema is
procrastinate's own ``schema.sql`` of the installed version (``procrastinate>=3.5,<4``), applied
as procrastinate documents it; the models do not describe these objects, and the migration
test leaves everything named ``procrastinate_*`` out of its comparison. When an upgrade of
procrastinate ships a file in ``procrastinate/sql/migrations/``, a later revision applies it.

On SQLite this revision does nothing: the embedded runner needs no queue tables.

Revision ID: 0007_job_queue
Revises: 0006_batches
Create Date: 2026-12-02 16:10:00
"""

from collections.abc import Sequence

from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0007_job_queue"
down_revision: str | None = "0006_batches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PREFIX = "procrastinate\\_%"
"""Every object procrastinate's schema creates is named ``procrastinate_*`` (its indexes,
triggers and sequences go with its tables)."""


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgresql():
        return
    # Straight to the driver, in the migration's transaction: many statements and no
    # parameters (the schema's ``%`` signs are its own), as procrastinate applies it.
    cursor = op.get_bind().connection.cursor()
    try:
        cursor.execute(SchemaManager.get_schema())
    finally:
        cursor.close()


def downgrade() -> None:
    if not _postgresql():
        return
    bind = op.get_bind()
    # Read before dropping anything: a function's signature names procrastinate's types.
    tables = _names(
        "SELECT quote_ident(tablename) FROM pg_tables "
        "WHERE schemaname = current_schema() AND tablename LIKE %(prefix)s"
    )
    functions = _names(
        "SELECT p.oid::regprocedure::text FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = current_schema() AND p.proname LIKE %(prefix)s"
    )
    if tables:
        # Indexes, triggers and the functions returning a table row go with the tables.
        bind.exec_driver_sql(f"DROP TABLE {', '.join(tables)} CASCADE")
    for signature in functions:
        bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {signature}")
    # Enums and composite types (the tables' own row types went with them).
    for name in _names(
        "SELECT quote_ident(t.typname) FROM pg_type t "
        "JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = current_schema() AND t.typname LIKE %(prefix)s "
        "AND t.typtype IN ('c', 'e')"
    ):
        bind.exec_driver_sql(f"DROP TYPE {name}")


def _names(query: str) -> list[str]:
    return list(op.get_bind().exec_driver_sql(query, {"prefix": _PREFIX}).scalars())
