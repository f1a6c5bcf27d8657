"""Wallet links name the offer: grants and exchanges are made when a wallet comes

The claim page's wallet links carry an HMAC reference of the offer (not stored), so
``wallet_grants.offer_ref_hash`` and ``wallet_exchanges.token_hash`` go; a grant is found by
its offer (``ix_wallet_grants_offer_id``) or its code, an exchange by its offer
(``ix_wallet_exchanges_offer_id``). See :mod:`app.wallets.service`.

Revision ID: 0013_lazy_wallet_links
Revises: 0012_wallets
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_lazy_wallet_links"
down_revision: str | None = "0012_wallets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("wallet_grants") as batch:
        batch.drop_constraint(op.f("uq_wallet_grants_offer_ref_hash"), type_="unique")
        batch.drop_column("offer_ref_hash")
    with op.batch_alter_table("wallet_exchanges") as batch:
        batch.drop_constraint(op.f("uq_wallet_exchanges_token_hash"), type_="unique")
        batch.drop_column("token_hash")


def downgrade() -> None:
    # The dropped columns held hashes of links that no longer exist: the short-lived rows
    # (codes, tokens and exchanges live minutes) are deleted rather than given made-up values.
    op.execute(sa.text("DELETE FROM wallet_access_tokens"))
    op.execute(sa.text("DELETE FROM wallet_grants"))
    op.execute(sa.text("DELETE FROM wallet_exchanges"))
    with op.batch_alter_table("wallet_exchanges") as batch:
        batch.add_column(sa.Column("token_hash", sa.String(length=64), nullable=False))
        batch.create_unique_constraint(op.f("uq_wallet_exchanges_token_hash"), ["token_hash"])
    with op.batch_alter_table("wallet_grants") as batch:
        batch.add_column(sa.Column("offer_ref_hash", sa.String(length=64), nullable=False))
        batch.create_unique_constraint(op.f("uq_wallet_grants_offer_ref_hash"), ["offer_ref_hash"])
