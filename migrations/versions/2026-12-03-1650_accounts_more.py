"""Learner accounts, more: credentials hidden from an account page; the service's own e-mail

* ``learner_hidden_credentials``: a credential issued here that the learner hid from their
  account page and from the apps they authorized (:class:`app.models.AccountHiddenCredential`);
* ``deliveries.issuer_id`` nullable: a sign-in link is the service's message, not an issuer's.

Revision ID: 0015_accounts_more
Revises: 0014_learner_accounts
Create Date: 2026-12-03 16:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_accounts_more"
down_revision: str | None = "0014_learner_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learner_hidden_credentials",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["learner_accounts.id"],
            name=op.f("fk_learner_hidden_credentials_account_id_learner_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_learner_hidden_credentials_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "credential_id", name=op.f("pk_learner_hidden_credentials")
        ),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("issuer_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    # the service's own messages have no issuer to fall back to
    op.execute("DELETE FROM deliveries WHERE issuer_id IS NULL")
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("issuer_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_table("learner_hidden_credentials")
