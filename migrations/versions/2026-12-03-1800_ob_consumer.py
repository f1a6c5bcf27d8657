"""The Open Badges API's Service Consumer (Write): host registrations, learners' connections
(sealed tokens), pending authorizations

See :mod:`app.models.ob_connection`.

Revision ID: 0017_ob_consumer
Revises: 0016_ob_api_oauth
Create Date: 2026-12-03 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0017_ob_consumer"
down_revision: str | None = "0016_ob_api_oauth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ob_host_clients",
        sa.Column("api_root", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("authorization_url", sa.Text(), nullable=False),
        sa.Column("token_url", sa.Text(), nullable=False),
        sa.Column("refresh_url", sa.Text(), nullable=False),
        sa.Column("revocation_url", sa.Text(), nullable=True),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("sealed_client_secret", sa.LargeBinary(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ob_host_clients")),
        sa.UniqueConstraint("api_root", name=op.f("uq_ob_host_clients_api_root")),
    )
    op.create_table(
        "ob_authorizations",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("host_client_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("sealed_code_verifier", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["learner_accounts.id"],
            name=op.f("fk_ob_authorizations_account_id_learner_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["host_client_id"],
            ["ob_host_clients.id"],
            name=op.f("fk_ob_authorizations_host_client_id_ob_host_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ob_authorizations")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_ob_authorizations_state_hash")),
    )
    with op.batch_alter_table("ob_authorizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ob_authorizations_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ob_authorizations_host_client_id"), ["host_client_id"], unique=False
        )

    op.create_table(
        "ob_connections",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("host_client_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("sealed_access_token", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_refresh_token", sa.LargeBinary(), nullable=True),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["learner_accounts.id"],
            name=op.f("fk_ob_connections_account_id_learner_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["host_client_id"],
            ["ob_host_clients.id"],
            name=op.f("fk_ob_connections_host_client_id_ob_host_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ob_connections")),
        sa.UniqueConstraint(
            "account_id", "host_client_id", name=op.f("uq_ob_connections_account_id_host_client_id")
        ),
    )
    with op.batch_alter_table("ob_connections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ob_connections_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ob_connections_host_client_id"), ["host_client_id"], unique=False
        )



def downgrade() -> None:
    with op.batch_alter_table("ob_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ob_connections_host_client_id"))
        batch_op.drop_index(batch_op.f("ix_ob_connections_account_id"))

    op.drop_table("ob_connections")
    with op.batch_alter_table("ob_authorizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ob_authorizations_host_client_id"))
        batch_op.drop_index(batch_op.f("ix_ob_authorizations_account_id"))

    op.drop_table("ob_authorizations")
    op.drop_table("ob_host_clients")
