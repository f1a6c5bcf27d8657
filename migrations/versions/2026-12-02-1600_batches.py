"""Batches: cohort issuance from a spreadsheet as a durable job

``batches`` (what to issue, the counts, the state) and ``batch_rows`` (each validated row, its
state, its credential, and the lease a worker holds on it while issuing it).

Revision ID: 0006_batches
Revises: 0005_status_entries
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_batches"
down_revision: str | None = "0005_status_entries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("achievement_lineage_id", sa.Uuid(), nullable=False),
        sa.Column("proof", sa.String(length=16), nullable=False),
        sa.Column("duplicates", sa.String(length=8), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("started_at", _TIME, nullable=True),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.Column("heartbeat_at", _TIME, nullable=True),
        sa.Column(
            "created_at", _TIME, server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_batches_issuer_id_issuers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    op.create_index(
        "ix_batches_issuer_id_created_at", "batches", ["issuer_id", "created_at"], unique=False
    )
    op.create_table(
        "batch_rows",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("row_key", sa.String(length=200), nullable=False),
        sa.Column(
            "request",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_rows_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_batch_rows_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("batch_id", "number", name=op.f("pk_batch_rows")),
        sa.UniqueConstraint("batch_id", "row_key", name=op.f("uq_batch_rows_batch_id_row_key")),
    )
    op.create_index("ix_batch_rows_batch_id_state", "batch_rows", ["batch_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_batch_rows_batch_id_state", table_name="batch_rows")
    op.drop_table("batch_rows")
    op.drop_index("ix_batches_issuer_id_created_at", table_name="batches")
    op.drop_table("batches")
