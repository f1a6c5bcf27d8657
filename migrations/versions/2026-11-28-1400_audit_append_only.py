"""Audit rows append-only on PostgreSQL; index credentials by recipient DID

PostgreSQL: a trigger refuses UPDATE and DELETE of ``audit_events`` rows (and TRUNCATE), so the
log of who issued what with which key cannot be edited through the application's own database
role. SQLite (development) has no such protection.

``credentials.recipient_did`` is looked up on every program evaluation of a DID learner (each
module credential issued to a DID); ``recipient_email`` already had its index.

Revision ID: 0004_audit_append_only
Revises: 0003_endorsement_acceptance
Create Date: 2026-11-28 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_audit_append_only"
down_revision: str | None = "0003_endorsement_acceptance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index("ix_credentials_recipient_did", ["recipient_did"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION audit_events_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER audit_events_no_update_delete ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index("ix_credentials_recipient_did")
