"""Usage counts for the reports: page views, verifications and LinkedIn click-throughs per
issuer, achievement version, UTC day and kind (aggregates only, nothing about a learner)

See :mod:`app.models.usage` and :mod:`app.reports`.

Revision ID: 0020_usage_counts
Revises: 0019_staff_accounts
Create Date: 2026-12-03 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_usage_counts"
down_revision: str | None = "0019_staff_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_counts",
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("achievement_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_usage_counts_achievement_id_achievements"),
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_usage_counts_issuer_id_issuers")
        ),
        sa.PrimaryKeyConstraint(
            "issuer_id", "achievement_id", "day", "kind", name=op.f("pk_usage_counts")
        ),
    )


def downgrade() -> None:
    op.drop_table("usage_counts")
