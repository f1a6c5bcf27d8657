"""Staff password resets: single-use links a staff member asks for on the sign-in page

Only the SHA-256 of a link's token is stored; the link itself waits sealed in the e-mail's
delivery (``app.console.password_resets``).

Revision ID: 0023_staff_password_resets
Revises: 0022_credential_canonical_seal
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_staff_password_resets"
down_revision: str | None = "0022_credential_canonical_seal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_password_resets",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_password_resets_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_password_resets_token_hash")),
    )
    with op.batch_alter_table("staff_password_resets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_password_resets_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_password_resets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_password_resets_user_id"))
    op.drop_table("staff_password_resets")
