"""What the disposal sweep remembers of each task: the reminder rung sent, the escalation reached.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("disposal_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_rung", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("escalation", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_disposal_task_status_due_on", "disposal_task", ["status", "due_on"])


def downgrade() -> None:
    op.drop_index("ix_disposal_task_status_due_on", "disposal_task")
    with op.batch_alter_table("disposal_task", schema=None) as batch_op:
        batch_op.drop_column("escalation")
        batch_op.drop_column("reminded_rung")
