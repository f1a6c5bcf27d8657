"""Learner accounts: e-mail sign-in, verified addresses, sessions, hosted credentials

See :mod:`app.models.account`.

Revision ID: 0014_learner_accounts
Revises: 0013_lazy_wallet_links
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014_learner_accounts'
down_revision: str | None = '0013_lazy_wallet_links'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('learner_accounts',
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learner_accounts'))
    )
    op.create_table('hosted_credentials',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('issuer_iri', sa.String(length=2048), nullable=False),
    sa.Column('credential_iri', sa.String(length=2048), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('compact_jws', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['learner_accounts.id'], name=op.f('fk_hosted_credentials_account_id_learner_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hosted_credentials')),
    sa.UniqueConstraint('account_id', 'issuer_iri', 'credential_iri', name=op.f('uq_hosted_credentials_account_id_issuer_iri_credential_iri'))
    )
    with op.batch_alter_table('hosted_credentials', schema=None) as batch_op:
        batch_op.create_index('ix_hosted_credentials_account_id_updated_at', ['account_id', 'updated_at'], unique=False)

    op.create_table('learner_emails',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['learner_accounts.id'], name=op.f('fk_learner_emails_account_id_learner_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learner_emails')),
    sa.UniqueConstraint('email', name=op.f('uq_learner_emails_email'))
    )
    with op.batch_alter_table('learner_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learner_emails_account_id'), ['account_id'], unique=False)

    op.create_table('learner_sessions',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['learner_accounts.id'], name=op.f('fk_learner_sessions_account_id_learner_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learner_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_learner_sessions_token_hash'))
    )
    with op.batch_alter_table('learner_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learner_sessions_account_id'), ['account_id'], unique=False)

    op.create_table('learner_sign_in_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['learner_accounts.id'], name=op.f('fk_learner_sign_in_tokens_account_id_learner_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learner_sign_in_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_learner_sign_in_tokens_token_hash'))
    )
    with op.batch_alter_table('learner_sign_in_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learner_sign_in_tokens_email'), ['email'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('learner_sign_in_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learner_sign_in_tokens_email'))

    op.drop_table('learner_sign_in_tokens')
    with op.batch_alter_table('learner_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learner_sessions_account_id'))

    op.drop_table('learner_sessions')
    with op.batch_alter_table('learner_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learner_emails_account_id'))

    op.drop_table('learner_emails')
    with op.batch_alter_table('hosted_credentials', schema=None) as batch_op:
        batch_op.drop_index('ix_hosted_credentials_account_id_updated_at')

    op.drop_table('hosted_credentials')
    op.drop_table('learner_accounts')
