"""One credentialStatus entry by default; collision-free status list allocation

``issuers.suspension_enabled`` (default false): credentials carry a suspension entry besides the
revocation one only when the issuer asks for it (OB 3.0 allows one ``credentialStatus``).
Existing issuers get false too; their existing credentials keep their entries as issued.

``status_lists.next_position`` and ``permutation_key``: a list hands out positions 0, 1, 2 …
and maps them through a secret keyed permutation to indexes, so no index is drawn twice. A list
that already has allocations (drawn at random) is closed (``is_full``), since the permutation
would meet its taken indexes; empty lists stay open. Each list gets a fresh random key.

Revision ID: 0005_status_entries
Revises: 0004_audit_append_only
Create Date: 2026-12-02 13:00:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_status_entries"
down_revision: str | None = "0004_audit_append_only"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN with constant defaults, no batch table copy: SQLite copies a table by
    # dropping it, which its foreign keys refuse once credentials reference these tables.
    op.add_column(
        "issuers", sa.Column("suspension_enabled", sa.Boolean(), server_default="0", nullable=False)
    )
    op.add_column(
        "status_lists",
        sa.Column("next_position", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "status_lists",
        sa.Column("permutation_key", sa.String(length=64), server_default="", nullable=False),
    )
    connection = op.get_bind()
    lists = sa.table(
        "status_lists",
        sa.column("id", sa.Uuid()),
        sa.column("permutation_key", sa.String()),
        sa.column("is_full", sa.Boolean()),
    )
    allocations = sa.table("status_allocations", sa.column("list_id", sa.Uuid()))
    for (list_id,) in connection.execute(sa.select(lists.c.id)).all():
        connection.execute(
            lists.update()
            .where(lists.c.id == list_id)
            .values(permutation_key=secrets.token_hex(16))
        )
    connection.execute(
        lists.update()
        .where(sa.exists().where(allocations.c.list_id == lists.c.id))
        .values(is_full=True)
    )
    if connection.dialect.name == "postgresql":  # every list has its key now; new ones bring theirs
        op.alter_column("status_lists", "permutation_key", server_default=None)


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), for the same reason as above.
    op.drop_column("status_lists", "permutation_key")
    op.drop_column("status_lists", "next_position")
    op.drop_column("issuers", "suspension_enabled")
