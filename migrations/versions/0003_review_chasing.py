"""What the review and approval sweeps remember: the reminder rung sent, the escalation reached,
when an arrangement was submitted and how far its sign-offs have been chased.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("arrangement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("approval_chase", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_rung", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("escalation", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_review_status_due_on", ["status", "due_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index("ix_review_status_due_on")
        batch_op.drop_column("escalation")
        batch_op.drop_column("reminded_rung")
    with op.batch_alter_table("arrangement", schema=None) as batch_op:
        batch_op.drop_column("approval_chase")
        batch_op.drop_column("submitted_at")
