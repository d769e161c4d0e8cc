"""Personal action links (only each token's hash), and the evidence an audit event carries
when it was recorded from the web portal (the link, the client, the typed name, the hash shown).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "action_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("subject_ref", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("voided_at", UTCDateTime(), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "length(token_hash) = 64", name=op.f("ck_action_link_token_hash_sha256")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_action_link_token_hash")),
    )
    op.create_index("ix_action_link_whose", "action_link", ["action", "subject_ref", "email"])
    # a plain ADD COLUMN: a batch copy of audit_event on SQLite would lose its append-only
    # triggers (migration 0008)
    op.add_column("audit_event", sa.Column("evidence", sa.JSON(), nullable=True))


def downgrade() -> None:
    # SQLite 3.35 and PostgreSQL drop a column in place, keeping the triggers
    op.execute("ALTER TABLE audit_event DROP COLUMN evidence")
    op.drop_index("ix_action_link_whose", table_name="action_link")
    op.drop_table("action_link")
