"""Owner approval of endorsements: accepted_at / declined_at (neither set: pending)

Existing endorsements stay pending: their owners never agreed to carry them, so credentials
issued after this upgrade embed them only once the owner accepts.

Revision ID: 0003_endorsement_acceptance
Revises: 0002_programs
Create Date: 2026-11-28 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_endorsement_acceptance"
down_revision: str | None = "0002_programs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("endorsements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("endorsements", schema=None) as batch_op:
        batch_op.drop_column("declined_at")
        batch_op.drop_column("accepted_at")
