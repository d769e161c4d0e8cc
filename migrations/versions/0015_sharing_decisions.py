"""Sharing decisions on a partner's request for data (§9, §13, §19), and requests to share data
onward with a third party, which need the originating agency's consent (§11, §15).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _nonblank(table: str, column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        f"length(trim({column})) > 0", name=op.f(f"ck_{table}_{column}_not_blank")
    )


def upgrade() -> None:
    op.create_table(
        "sharing_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("arrangement_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "share",
                "partial",
                "refuse",
                name="sharingoutcome",
                native_enum=False,
                create_constraint=True,
                length=7,
            ),
            nullable=False,
        ),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("reasoning", sa.Text(), nullable=False),
        sa.Column("identity_check", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        _nonblank("sharing_decision", "data"),
        _nonblank("sharing_decision", "purpose"),
        _nonblank("sharing_decision", "legal_basis"),
        _nonblank("sharing_decision", "reasoning"),
        sa.CheckConstraint(
            "requester_id <> agency_id",
            name=op.f("ck_sharing_decision_requester_is_another_agency"),
        ),
        sa.CheckConstraint(
            "outcome = 'refuse' OR length(trim(coalesce(identity_check, ''))) > 0",
            name=op.f("ck_sharing_decision_identity_checked_before_disclosure"),
        ),
        sa.ForeignKeyConstraint(
            ["arrangement_id"],
            ["arrangement.id"],
            name=op.f("fk_sharing_decision_arrangement_id_arrangement"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_sharing_decision_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["agency.id"], name=op.f("fk_sharing_decision_requester_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_decision")),
        sa.UniqueConstraint("reference", name=op.f("uq_sharing_decision_reference")),
    )
    op.create_index(
        op.f("ix_sharing_decision_arrangement_id"), "sharing_decision", ["arrangement_id"]
    )
    op.create_table(
        "onward_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("arrangement_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("third_party", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "consented",
                "refused",
                name="onwardrequeststatus",
                native_enum=False,
                create_constraint=True,
                length=9,
            ),
            nullable=False,
        ),
        sa.Column("answer_reason", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("chased", sa.Integer(), nullable=False),
        _nonblank("onward_request", "third_party"),
        _nonblank("onward_request", "data"),
        _nonblank("onward_request", "purpose"),
        sa.CheckConstraint(
            "owner_id <> requester_id", name=op.f("ck_onward_request_owner_is_another_agency")
        ),
        sa.CheckConstraint(
            "status = 'open' OR (answered_at IS NOT NULL AND answer_reason IS NOT NULL)",
            name=op.f("ck_onward_request_answer_recorded"),
        ),
        sa.ForeignKeyConstraint(
            ["arrangement_id"],
            ["arrangement.id"],
            name=op.f("fk_onward_request_arrangement_id_arrangement"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["agency.id"], name=op.f("fk_onward_request_owner_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["agency.id"], name=op.f("fk_onward_request_requester_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onward_request")),
        sa.UniqueConstraint("reference", name=op.f("uq_onward_request_reference")),
    )
    op.create_index(op.f("ix_onward_request_arrangement_id"), "onward_request", ["arrangement_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_onward_request_arrangement_id"), table_name="onward_request")
    op.drop_table("onward_request")
    op.drop_index(op.f("ix_sharing_decision_arrangement_id"), table_name="sharing_decision")
    op.drop_table("sharing_decision")
