"""Freedom of information and subject access requests touching shared data (§7), with each
originating agency's consultation and reply.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(v) for v in values),
    )


def upgrade() -> None:
    op.create_table(
        "information_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("requestkind", "foi", "sar"), nullable=False),
        sa.Column("their_ref", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("arrangements", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("status", _enum("informationrequeststatus", "open", "closed"), nullable=False),
        sa.Column(
            "outcome",
            _enum("requestoutcome", "disclosed", "partly_disclosed", "withheld", "not_held"),
            nullable=True,
        ),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.String(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("within_due", sa.Boolean(), nullable=True),
        sa.Column("reminded", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "length(trim(their_ref)) > 0", name=op.f("ck_information_request_their_ref_not_blank")
        ),
        sa.CheckConstraint(
            "length(trim(summary)) > 0", name=op.f("ck_information_request_summary_not_blank")
        ),
        sa.CheckConstraint(
            "due_on >= received_on", name=op.f("ck_information_request_due_after_receipt")
        ),
        sa.CheckConstraint(
            "status = 'open' OR (outcome IS NOT NULL AND closed_at IS NOT NULL "
            "AND within_due IS NOT NULL)",
            name=op.f("ck_information_request_outcome_recorded"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_information_request_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_information_request")),
        sa.UniqueConstraint("reference", name=op.f("uq_information_request_reference")),
        sa.UniqueConstraint(
            "agency_id", "kind", "their_ref", name=op.f("uq_information_request_agency_id")
        ),
    )
    op.create_index(op.f("ix_information_request_agency_id"), "information_request", ["agency_id"])
    op.create_table(
        "request_consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("reply_by", sa.Date(), nullable=False),
        sa.Column(
            "status",
            _enum("consultationstatus", "awaiting", "replied", "lapsed"),
            nullable=False,
        ),
        sa.Column("objection", _enum("objection", "none", "objects"), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("replied_by", sa.String(), nullable=True),
        sa.Column("replied_at", UTCDateTime(), nullable=True),
        sa.Column("chased", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status <> 'replied' OR (objection IS NOT NULL AND replied_at IS NOT NULL "
            "AND replied_by IS NOT NULL)",
            name=op.f("ck_request_consultation_reply_recorded"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_request_consultation_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["information_request.id"],
            name=op.f("fk_request_consultation_request_id_information_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_consultation")),
        sa.UniqueConstraint("reference", name=op.f("uq_request_consultation_reference")),
        sa.UniqueConstraint(
            "request_id", "agency_id", name=op.f("uq_request_consultation_request_id")
        ),
    )
    op.create_index(
        op.f("ix_request_consultation_request_id"), "request_consultation", ["request_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_request_consultation_request_id"), table_name="request_consultation")
    op.drop_table("request_consultation")
    op.drop_index(op.f("ix_information_request_agency_id"), table_name="information_request")
    op.drop_table("information_request")
