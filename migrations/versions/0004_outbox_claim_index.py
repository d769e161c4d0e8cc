"""the outbox's claim index: a deliverer reads back the batch it claimed by its claim token

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_claim', ['claim'], unique=False, sqlite_where=sa.text('claim IS NOT NULL'), postgresql_where=sa.text('claim IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_claim', sqlite_where=sa.text('claim IS NOT NULL'), postgresql_where=sa.text('claim IS NOT NULL'))
