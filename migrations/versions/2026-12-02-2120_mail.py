"""Notification e-mail: per-issuer sender settings, quotas and their counters

``issuers``: ``mail_sender_name`` and ``mail_reply_to`` (the issuer's own ``From`` name and
``Reply-To``), ``notify_on_revocation`` (default false), and ``mail_daily_quota`` /
``mail_rate_per_minute`` (null: the service's defaults). ``mail_counters``: per issuer, the
messages queued on the current UTC day and the sending pace, see :mod:`app.models.mail`.
(The e-mails themselves are outbox deliveries, channel "email".)

Revision ID: 0010_mail
Revises: 0009_webhooks
Create Date: 2026-12-02 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_mail"
down_revision: str | None = "0009_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (SQLite 3.35+ has both): recreating ``issuers`` would fight the
    # foreign keys of every table that references it.
    op.add_column("issuers", sa.Column("mail_sender_name", sa.String(length=500), nullable=True))
    op.add_column("issuers", sa.Column("mail_reply_to", sa.String(length=320), nullable=True))
    op.add_column(
        "issuers",
        sa.Column("notify_on_revocation", sa.Boolean(), server_default="0", nullable=False),
    )
    op.add_column("issuers", sa.Column("mail_daily_quota", sa.Integer(), nullable=True))
    op.add_column("issuers", sa.Column("mail_rate_per_minute", sa.Integer(), nullable=True))
    op.create_table(
        "mail_counters",
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("pace_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_mail_counters_issuer_id_issuers")
        ),
        sa.PrimaryKeyConstraint("issuer_id", name=op.f("pk_mail_counters")),
    )


def downgrade() -> None:
    op.drop_table("mail_counters")
    for column in (
        "mail_rate_per_minute",
        "mail_daily_quota",
        "notify_on_revocation",
        "mail_reply_to",
        "mail_sender_name",
    ):
        op.drop_column("issuers", column)
