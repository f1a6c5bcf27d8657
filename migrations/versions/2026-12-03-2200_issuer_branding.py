"""Issuer branding: a brand colour, an accent colour and an uploaded logo

``logo`` holds the checked upload as a ``data:image/png;base64,…`` or
``data:image/svg+xml;base64,…`` URI (at most 256 KB of image); the model defers it, so the
issuer reads of the issuing path and of the lists never load it. ``logo_digest`` (SHA-256 of
the image's bytes) says whether there is one, and is the ETag of ``GET /issuers/{id}/logo``.

Revision ID: 0021_issuer_branding
Revises: 0020_usage_counts
Create Date: 2026-12-03 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_issuer_branding"
down_revision: str | None = "0020_usage_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("issuers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brand_color", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("accent_color", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("logo", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("logo_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issuers", schema=None) as batch_op:
        batch_op.drop_column("logo_digest")
        batch_op.drop_column("logo")
        batch_op.drop_column("accent_color")
        batch_op.drop_column("brand_color")
