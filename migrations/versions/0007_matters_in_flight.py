"""What the suspension and withdrawal flows remember: when the flow first ran (so the deadline
sweep starts any raised while the server was down), each reminder sent, and when a withdrawal
took effect.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUSPENSION = ("flow_started_at", "chairs_reminded_at", "escalated_at", "end_noticed_at")
WITHDRAWAL = ("flow_started_at", "completed_at")


def upgrade() -> None:
    with op.batch_alter_table("suspension", schema=None) as batch_op:
        for name in SUSPENSION:
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("withdrawal", schema=None) as batch_op:
        for name in WITHDRAWAL:
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    # a withdrawal whose notice predates this revision took effect when it was given, and needs
    # no flow started for it; an open suspension's flow is started by the next deadline sweep
    op.execute(
        "UPDATE withdrawal SET completed_at = noticed_at, flow_started_at = noticed_at, "
        "status = 'completed'"
    )


def downgrade() -> None:
    with op.batch_alter_table("withdrawal", schema=None) as batch_op:
        for name in reversed(WITHDRAWAL):
            batch_op.drop_column(name)
    with op.batch_alter_table("suspension", schema=None) as batch_op:
        for name in reversed(SUSPENSION):
            batch_op.drop_column(name)
