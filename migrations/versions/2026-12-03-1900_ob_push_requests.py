"""Issuers' requests that a learner send a credential to another Open Badges host, and the
pending authorization that carries one out

See :class:`app.models.ObPushRequest` and :mod:`app.pushes`.

Revision ID: 0018_ob_push_requests
Revises: 0017_ob_consumer
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0018_ob_push_requests"
down_revision: str | None = "0017_ob_consumer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ob_push_requests",
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("api_root", sa.Text(), nullable=False),
        sa.Column("host_name", sa.Text(), nullable=False),
        sa.Column("recipient_email", sa.String(length=320), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("result_status", sa.Integer(), nullable=True),
        sa.Column("result_detail", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_ob_push_requests_issuer_id_issuers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_ob_push_requests_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["learner_accounts.id"],
            name=op.f("fk_ob_push_requests_account_id_learner_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ob_push_requests")),
    )
    with op.batch_alter_table("ob_push_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ob_push_requests_issuer_id"), ["issuer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ob_push_requests_credential_id"), ["credential_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ob_push_requests_recipient_email"), ["recipient_email"], unique=False
        )
    with op.batch_alter_table("ob_authorizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("push_request_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_ob_authorizations_push_request_id_ob_push_requests"),
            "ob_push_requests",
            ["push_request_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("ob_authorizations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ob_authorizations_push_request_id_ob_push_requests"),
            type_="foreignkey",
        )
        batch_op.drop_column("push_request_id")
    with op.batch_alter_table("ob_push_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ob_push_requests_recipient_email"))
        batch_op.drop_index(batch_op.f("ix_ob_push_requests_credential_id"))
        batch_op.drop_index(batch_op.f("ix_ob_push_requests_issuer_id"))
    op.drop_table("ob_push_requests")
