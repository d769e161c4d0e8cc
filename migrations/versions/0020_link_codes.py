"""One-time codes that prove the person at a personal link is its addressee before an act that
binds their agency (only each code's keyed hash, its expiry, its wrong tries and its use), and
the acts such an addressee handed to a colleague in the same role.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UTCDateTime

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("length(code_hash) = 64", name=op.f("ck_link_code_code_hash_sha256")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_link_code_attempts_nonnegative")),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["action_link.id"],
            name=op.f("fk_link_code_link_id_action_link"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_code")),
    )
    op.create_index("ix_link_code_link", "link_code", ["link_id"])
    op.create_table(
        "link_delegation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("subject_ref", sa.Text(), nullable=False),
        sa.Column("delegated_by", sa.Text(), nullable=False),
        sa.Column("delegate", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["action_link.id"],
            name=op.f("fk_link_delegation_link_id_action_link"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_delegation")),
    )
    op.create_index(
        "ix_link_delegation_whose", "link_delegation", ["action", "subject_ref", "delegate"]
    )


def downgrade() -> None:
    op.drop_index("ix_link_delegation_whose", table_name="link_delegation")
    op.drop_table("link_delegation")
    op.drop_index("ix_link_code_link", table_name="link_code")
    op.drop_table("link_code")
