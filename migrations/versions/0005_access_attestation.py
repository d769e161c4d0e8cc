"""What the access sweep remembers: when each grant's need to know was last attested and
reminded, and which training records have had their expiry reminder.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attested_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("attestation_reminded_at", sa.DateTime(timezone=True), nullable=True)
        )
    # a grant made before attestation existed counts as attested when it was granted
    op.execute(sa.text("UPDATE access_grant SET attested_at = granted_at"))
    with op.batch_alter_table("training_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expiry_reminded", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # the access sweep looks up what ends today by each reason, not grant by grant
    op.create_index("ix_access_grant_status_expires_on", "access_grant", ["status", "expires_on"])
    op.create_index("ix_access_grant_status_attested_at", "access_grant", ["status", "attested_at"])
    op.create_index("ix_training_record_expires_on", "training_record", ["expires_on"])
    op.create_index("ix_contact_left_at", "contact", ["left_at"])


def downgrade() -> None:
    op.drop_index("ix_contact_left_at", "contact")
    op.drop_index("ix_training_record_expires_on", "training_record")
    op.drop_index("ix_access_grant_status_attested_at", "access_grant")
    op.drop_index("ix_access_grant_status_expires_on", "access_grant")
    with op.batch_alter_table("training_record", schema=None) as batch_op:
        batch_op.drop_column("expiry_reminded")
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.drop_column("attestation_reminded_at")
        batch_op.drop_column("attested_at")
