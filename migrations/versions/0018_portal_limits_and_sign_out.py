"""The portal's limits and sign-out kept where every portal process sees them: the attempts
counted against a limit (per client, per address, per link), and the sessions ended by signing
out.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UTCDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_attempt")),
    )
    op.create_index("ix_portal_attempt_key_at", "portal_attempt", ["key", "at"])
    op.create_index(op.f("ix_portal_attempt_at"), "portal_attempt", ["at"])
    op.create_table(
        "portal_session_end",
        sa.Column("nonce", sa.Text(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_portal_session_end")),
    )
    op.create_index(
        op.f("ix_portal_session_end_expires_at"), "portal_session_end", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_portal_session_end_expires_at"), table_name="portal_session_end")
    op.drop_table("portal_session_end")
    op.drop_index(op.f("ix_portal_attempt_at"), table_name="portal_attempt")
    op.drop_index("ix_portal_attempt_key_at", table_name="portal_attempt")
    op.drop_table("portal_attempt")
