"""A data subject's withdrawal of consent (§9, §18), recorded by the data subject's reference
alone, and each partner's notice to cease processing with its acknowledgement.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent_withdrawal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("subject_ref", sa.Text(), nullable=False),
        sa.Column("arrangements", sa.JSON(), nullable=False),
        sa.Column("raised_by", sa.String(), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "length(trim(subject_ref)) > 0",
            name=op.f("ck_consent_withdrawal_subject_ref_not_blank"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
            name=op.f("fk_consent_withdrawal_agency_id_agency"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_withdrawal")),
        sa.UniqueConstraint("reference", name=op.f("uq_consent_withdrawal_reference")),
    )
    op.create_index(
        op.f("ix_consent_withdrawal_agency_id"), "consent_withdrawal", ["agency_id"]
    )
    op.create_table(
        "consent_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("consent_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "acknowledged",
                name="consentnoticestatus",
                native_enum=False,
                create_constraint=True,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("notified_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(), nullable=True),
        sa.Column("chased", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status = 'pending' OR (acknowledged_at IS NOT NULL AND acknowledged_by IS NOT NULL)",
            name=op.f("ck_consent_notice_acknowledgement_recorded"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_consent_notice_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["consent_withdrawal.id"],
            name=op.f("fk_consent_notice_consent_id_consent_withdrawal"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_notice")),
        sa.UniqueConstraint("reference", name=op.f("uq_consent_notice_reference")),
        sa.UniqueConstraint(
            "consent_id", "agency_id", name=op.f("uq_consent_notice_consent_id")
        ),
    )
    op.create_index(op.f("ix_consent_notice_consent_id"), "consent_notice", ["consent_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_consent_notice_consent_id"), table_name="consent_notice")
    op.drop_table("consent_notice")
    op.drop_index(op.f("ix_consent_withdrawal_agency_id"), table_name="consent_withdrawal")
    op.drop_table("consent_withdrawal")
