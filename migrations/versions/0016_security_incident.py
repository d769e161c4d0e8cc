"""Security incidents in which information received from a partner was compromised (§29): the
originator told and its acknowledgement, and the reporting agency's decision on notifying the ICO
against the 72 hours from awareness.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.types import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "security_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("arrangement_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("originator_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("aware_at", UTCDateTime(), nullable=False),
        sa.Column("reported_by", sa.String(), nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "reported",
                "decided",
                name="incidentstatus",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column("notify_regulator", sa.Boolean(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_in_time", sa.Boolean(), nullable=True),
        sa.Column("acknowledged_by", sa.String(), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("suspension_id", sa.Integer(), nullable=True),
        sa.Column("chased", sa.Integer(), nullable=False),
        sa.Column("acknowledgement_chased", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "length(trim(what)) > 0", name=op.f("ck_security_incident_what_not_blank")
        ),
        sa.CheckConstraint(
            "originator_id <> agency_id",
            name=op.f("ck_security_incident_originator_is_another_agency"),
        ),
        sa.CheckConstraint(
            "aware_at <= reported_at", name=op.f("ck_security_incident_aware_before_reported")
        ),
        sa.CheckConstraint(
            "status = 'reported' OR (decided_at IS NOT NULL AND decided_by IS NOT NULL "
            "AND notify_regulator IS NOT NULL AND decision_reason IS NOT NULL "
            "AND decided_in_time IS NOT NULL)",
            name=op.f("ck_security_incident_decision_recorded"),
        ),
        sa.CheckConstraint(
            "(acknowledged_at IS NULL) = (acknowledged_by IS NULL)",
            name=op.f("ck_security_incident_acknowledgement_recorded"),
        ),
        sa.ForeignKeyConstraint(
            ["arrangement_id"],
            ["arrangement.id"],
            name=op.f("fk_security_incident_arrangement_id_arrangement"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_security_incident_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["originator_id"],
            ["agency.id"],
            name=op.f("fk_security_incident_originator_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["suspension_id"],
            ["suspension.id"],
            name=op.f("fk_security_incident_suspension_id_suspension"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_incident")),
        sa.UniqueConstraint("reference", name=op.f("uq_security_incident_reference")),
    )
    op.create_index(
        op.f("ix_security_incident_arrangement_id"), "security_incident", ["arrangement_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_security_incident_arrangement_id"), table_name="security_incident")
    op.drop_table("security_incident")
