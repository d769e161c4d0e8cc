"""Partners' dead ends: each personal link knows the email that carries it (its outbox row's
dedupe key), so a newer link voids the older ones only once its email has been sent; and a §41
meeting records where it is held, or how to join it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("action_link") as batch:
        batch.add_column(sa.Column("dedupe_key", sa.Text(), nullable=True))
        batch.create_index("ix_action_link_dedupe_key", ["dedupe_key"])
    with op.batch_alter_table("suspension") as batch:
        batch.add_column(sa.Column("meeting_place", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("suspension") as batch:
        batch.drop_column("meeting_place")
    with op.batch_alter_table("action_link") as batch:
        batch.drop_index("ix_action_link_dedupe_key")
        batch.drop_column("dedupe_key")
