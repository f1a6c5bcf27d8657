"""Wallet protocols: OpenID4VCI pre-authorized codes and nonces, VC-API exchanges

``wallet_grants`` (pre-authorized codes), ``wallet_access_tokens``, ``wallet_nonces`` and
``wallet_exchanges``, see :mod:`app.models.wallet`. Secrets are stored as SHA-256 only.

Revision ID: 0012_wallets
Revises: 0011_offers
Create Date: 2026-12-02 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_wallets"
down_revision: str | None = "0011_offers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def _created_at() -> sa.Column:
    return sa.Column(
        "created_at", _TIME, server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
    )


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "wallet_grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("offer_ref_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("tx_code_hash", sa.String(length=64), nullable=True),
        sa.Column("tx_code_failures", sa.Integer(), nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("used_at", _TIME, nullable=True),
        _created_at(),
        _fk("wallet_grants", "offer_id", "offers"),
        _fk("wallet_grants", "issuer_id", "issuers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_grants")),
        sa.UniqueConstraint("offer_ref_hash", name=op.f("uq_wallet_grants_offer_ref_hash")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_wallet_grants_code_hash")),
    )
    op.create_index("ix_wallet_grants_expires_at", "wallet_grants", ["expires_at"])
    op.create_index("ix_wallet_grants_offer_id", "wallet_grants", ["offer_id"])
    op.create_table(
        "wallet_access_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("bound_at", _TIME, nullable=True),
        sa.Column("credential_id", sa.Uuid(), nullable=True),
        sa.Column("holder_did", sa.String(length=2048), nullable=True),
        _created_at(),
        _fk("wallet_access_tokens", "grant_id", "wallet_grants"),
        _fk("wallet_access_tokens", "offer_id", "offers"),
        _fk("wallet_access_tokens", "issuer_id", "issuers"),
        _fk("wallet_access_tokens", "credential_id", "credentials"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_access_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_wallet_access_tokens_token_hash")),
    )
    op.create_index("ix_wallet_access_tokens_expires_at", "wallet_access_tokens", ["expires_at"])
    op.create_index("ix_wallet_access_tokens_grant_id", "wallet_access_tokens", ["grant_id"])
    op.create_table(
        "wallet_nonces",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("used_at", _TIME, nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_nonces")),
        sa.UniqueConstraint("nonce", name=op.f("uq_wallet_nonces_nonce")),
    )
    op.create_index("ix_wallet_nonces_expires_at", "wallet_nonces", ["expires_at"])
    op.create_table(
        "wallet_exchanges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("challenge", sa.String(length=64), nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("used_at", _TIME, nullable=True),
        sa.Column("credential_id", sa.Uuid(), nullable=True),
        sa.Column("holder_did", sa.String(length=2048), nullable=True),
        _created_at(),
        _fk("wallet_exchanges", "offer_id", "offers"),
        _fk("wallet_exchanges", "issuer_id", "issuers"),
        _fk("wallet_exchanges", "credential_id", "credentials"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_exchanges")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_wallet_exchanges_token_hash")),
    )
    op.create_index("ix_wallet_exchanges_expires_at", "wallet_exchanges", ["expires_at"])
    op.create_index("ix_wallet_exchanges_offer_id", "wallet_exchanges", ["offer_id"])


def downgrade() -> None:
    op.drop_table("wallet_exchanges")
    op.drop_table("wallet_nonces")
    op.drop_table("wallet_access_tokens")
    op.drop_table("wallet_grants")
