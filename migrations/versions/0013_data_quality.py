"""Data found inaccurate or inadequate for the purpose, notified to the agency that disclosed it
(§32, §33), with the owner's correction.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_quality_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("arrangement_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.String(), nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "corrected",
                name="dataqualitystatus",
                native_enum=False,
                create_constraint=True,
                length=9,
            ),
            nullable=False,
        ),
        sa.Column("correction", sa.Text(), nullable=True),
        sa.Column("corrected_by", sa.String(), nullable=True),
        sa.Column("corrected_at", UTCDateTime(), nullable=True),
        sa.Column("chased", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "length(trim(what)) > 0", name=op.f("ck_data_quality_notice_what_not_blank")
        ),
        sa.CheckConstraint(
            "owner_id <> reporter_id", name=op.f("ck_data_quality_notice_owner_is_another_agency")
        ),
        sa.CheckConstraint(
            "status = 'open' OR (corrected_at IS NOT NULL AND correction IS NOT NULL)",
            name=op.f("ck_data_quality_notice_correction_recorded"),
        ),
        sa.ForeignKeyConstraint(
            ["arrangement_id"],
            ["arrangement.id"],
            name=op.f("fk_data_quality_notice_arrangement_id_arrangement"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["agency.id"], name=op.f("fk_data_quality_notice_owner_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["agency.id"], name=op.f("fk_data_quality_notice_reporter_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_quality_notice")),
        sa.UniqueConstraint("reference", name=op.f("uq_data_quality_notice_reference")),
    )
    op.create_index(
        op.f("ix_data_quality_notice_arrangement_id"), "data_quality_notice", ["arrangement_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_data_quality_notice_arrangement_id"), table_name="data_quality_notice")
    op.drop_table("data_quality_notice")
