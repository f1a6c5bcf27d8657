"""Credentials: the canonical digest recorded at signing, sealed to the stored document

``canonical_seal`` holds the SHA-256 of the credential's canonical form (without ``proof``) as
the signer computed it, and an HMAC under a key derived from the KEK over the row's id, the
stored ``document`` and that digest (``app.credentials.seal``). A page not yet cached checks
the proof against it instead of canonicalising the document again. Existing rows keep NULL
and are verified as before.

Revision ID: 0022_credential_canonical_seal
Revises: 0021_issuer_branding
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_credential_canonical_seal"
down_revision: str | None = "0021_issuer_branding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("canonical_seal", sa.String(length=96), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("canonical_seal")
