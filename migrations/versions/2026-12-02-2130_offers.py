"""Offers: claim links for learners, and credentials bound to a holder's DID

``offers`` (one claim link to one credential; only the token's SHA-256 is kept) and
``credentials.bound_from_id`` (a copy bound to a wallet's DID names its original), see
:mod:`app.models.offer`.

Revision ID: 0011_offers
Revises: 0010_mail
Create Date: 2026-12-02 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_offers"
down_revision: str | None = "0010_mail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)
_BOUND_FK = "fk_credentials_bound_from_id_credentials"


def upgrade() -> None:
    op.create_table(
        "offers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME, nullable=True),
        sa.Column("claimed_at", _TIME, nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at", _TIME, server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"], ["credentials.id"], name=op.f("fk_offers_credential_id_credentials")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_offers_issuer_id_issuers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_offers_token_hash")),
    )
    op.create_index(
        "ix_offers_credential_id_created_at", "offers", ["credential_id", "created_at"]
    )
    op.create_index(op.f("ix_offers_issuer_id"), "offers", ["issuer_id"])
    # A nullable column with its foreign key, added in place (no copy of the credentials
    # table): SQLite's ADD COLUMN takes the constraint inline, which Alembic cannot emit there.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE credentials ADD COLUMN bound_from_id CHAR(32) "
            f"CONSTRAINT {_BOUND_FK} REFERENCES credentials (id)"
        )
    else:
        op.add_column("credentials", sa.Column("bound_from_id", sa.Uuid(), nullable=True))
        op.create_foreign_key(_BOUND_FK, "credentials", "credentials", ["bound_from_id"], ["id"])
    op.create_index(op.f("ix_credentials_bound_from_id"), "credentials", ["bound_from_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_credentials_bound_from_id"), table_name="credentials")
    with op.batch_alter_table("credentials") as batch_op:
        if op.get_bind().dialect.name != "sqlite":
            batch_op.drop_constraint(_BOUND_FK, type_="foreignkey")
        batch_op.drop_column("bound_from_id")
    op.drop_index(op.f("ix_offers_issuer_id"), table_name="offers")
    op.drop_index("ix_offers_credential_id_created_at", table_name="offers")
    op.drop_table("offers")
