"""What was signed stays signed: every submitted version of an arrangement kept as it was (its
full Appendix J content, content hash and template version), append-only like the audit log
(triggers that refuse UPDATE and DELETE on both backends); each sign-off bound to the hash of the
version it decided; an amendment drafted and signed beside the version in force.

An existing register's submitted versions are snapshotted as they stand now. Its sign-offs were
made before hashes were recorded: theirs stay empty, shown as "hash not recorded". An amendment
already under way in the old way (an arrangement once active, back at draft) carries on as a
draft: the text of the version it amends was not kept before this migration.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 15:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from models.types import UTCDateTime
from models.versions import TEMPLATE_VERSION, version_content, version_hash

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AMENDMENT_VALUES = ("drafting", "awaiting_approval", "adopted", "abandoned")
IN_FORCE_ONCE = (
    "active",
    "under_review",
    "suspended",
    "terminated",
    "lapsed",
    "disposal_pending",
    "closed",
)
SNAPSHOT_BY = "migration:0019"

SQLITE_TRIGGERS = (
    """CREATE TRIGGER arrangement_version_no_update BEFORE UPDATE ON arrangement_version
       BEGIN SELECT RAISE(ABORT, 'arrangement versions are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER arrangement_version_no_delete BEFORE DELETE ON arrangement_version
       BEGIN SELECT RAISE(ABORT, 'arrangement versions are append-only: DELETE refused'); END""",
)
POSTGRES_TRIGGERS = (
    """CREATE FUNCTION arrangement_version_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'arrangement versions are append-only: % refused', TG_OP; END $$""",
    """CREATE TRIGGER arrangement_version_no_update_or_delete
       BEFORE UPDATE OR DELETE ON arrangement_version
       FOR EACH ROW EXECUTE FUNCTION arrangement_version_append_only()""",
    """CREATE TRIGGER arrangement_version_no_truncate BEFORE TRUNCATE ON arrangement_version
       FOR EACH STATEMENT EXECUTE FUNCTION arrangement_version_append_only()""",
)

ARRANGEMENT = sa.table(
    "arrangement",
    sa.column("id", sa.Integer),
    sa.column("reference", sa.String),
    sa.column("title", sa.String),
    sa.column("purposes", sa.JSON),
    sa.column("lawful_basis", sa.String),
    sa.column("special_category_condition", sa.String),
    sa.column("consent_basis", sa.String),
    sa.column("transfer_method", sa.String),
    sa.column("security_arrangements", sa.String),
    sa.column("storage_arrangements", sa.String),
    sa.column("access_arrangements", sa.String),
    sa.column("retention_months", sa.Integer),
    sa.column("retention_rule", sa.String),
    sa.column("disposal_method", sa.String),
    sa.column("review_interval_months", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("status", sa.String),
    sa.column("created_at", UTCDateTime()),
    sa.column("submitted_at", UTCDateTime()),
    sa.column("activated_at", UTCDateTime()),
    sa.column("in_force_version", sa.Integer),
)
PARTY = sa.table(
    "arrangement_party",
    sa.column("id", sa.Integer),
    sa.column("arrangement_id", sa.Integer),
    sa.column("agency_id", sa.Integer),
    sa.column("role", sa.String),
)
AGENCY = sa.table("agency", sa.column("id", sa.Integer), sa.column("name", sa.String))
ITEM = sa.table(
    "data_item",
    sa.column("id", sa.Integer),
    sa.column("arrangement_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("description", sa.String),
    sa.column("protective_marking", sa.String),
    sa.column("statutory_restrictions", sa.String),
    sa.column("personal_data", sa.Boolean),
    sa.column("special_category", sa.Boolean),
)
TRANSFER = sa.table(
    "overseas_transfer",
    sa.column("id", sa.Integer),
    sa.column("arrangement_id", sa.Integer),
    sa.column("country", sa.String),
    sa.column("adequacy", sa.String),
)
VERSION = sa.table(
    "arrangement_version",
    sa.column("arrangement_id", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("content", sa.JSON),
    sa.column("agency_ids", sa.JSON),
    sa.column("template_version", sa.String),
    sa.column("content_hash", sa.String),
    sa.column("submitted_at", UTCDateTime()),
    sa.column("submitted_by", sa.String),
)


def _snapshot(bind: Any) -> None:
    """Keep each arrangement's submitted version as its columns hold it now; the one in force
    is the version of each that was ever approved."""
    submitted = bind.execute(
        sa.select(ARRANGEMENT)
        .where(ARRANGEMENT.c.status != "draft")
        .order_by(ARRANGEMENT.c.id)
    ).mappings()
    for row in list(submitted):
        # every party the version named, those that left since included
        parties = bind.execute(
            sa.select(PARTY.c.agency_id, PARTY.c.role, AGENCY.c.name.label("agency"))
            .join_from(PARTY, AGENCY, AGENCY.c.id == PARTY.c.agency_id)
            .where(PARTY.c.arrangement_id == row["id"])
            .order_by(PARTY.c.id)
        ).mappings().all()
        items = bind.execute(
            sa.select(ITEM).where(ITEM.c.arrangement_id == row["id"]).order_by(ITEM.c.id)
        ).mappings().all()
        transfers = bind.execute(
            sa.select(TRANSFER)
            .where(TRANSFER.c.arrangement_id == row["id"])
            .order_by(TRANSFER.c.id)
        ).mappings().all()
        content = version_content(row, parties, items, transfers)
        at = row["submitted_at"] or row["activated_at"] or row["created_at"]
        bind.execute(
            VERSION.insert().values(
                arrangement_id=row["id"],
                version=row["version"],
                content=content,
                agency_ids=[p["agency_id"] for p in parties],
                template_version=TEMPLATE_VERSION,
                content_hash=version_hash(row["reference"], row["version"], TEMPLATE_VERSION, content),
                submitted_at=at if at is not None else datetime.now(UTC),
                submitted_by=SNAPSHOT_BY,
            )
        )
        if row["status"] in IN_FORCE_ONCE:
            bind.execute(
                ARRANGEMENT.update()
                .where(ARRANGEMENT.c.id == row["id"])
                .values(in_force_version=row["version"])
            )


def upgrade() -> None:
    op.create_table(
        "arrangement_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("arrangement_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("agency_ids", sa.JSON(), nullable=False),
        sa.Column("template_version", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("submitted_by", sa.String(), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_arrangement_version_version_positive")),
        sa.ForeignKeyConstraint(
            ["arrangement_id"],
            ["arrangement.id"],
            name=op.f("fk_arrangement_version_arrangement_id_arrangement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arrangement_version")),
        sa.UniqueConstraint(
            "arrangement_id", "version", name=op.f("uq_arrangement_version_arrangement_id")
        ),
    )
    op.create_index(
        op.f("ix_arrangement_version_arrangement_id"), "arrangement_version", ["arrangement_id"]
    )
    op.add_column("sign_off", sa.Column("content_hash", sa.Text(), nullable=True))
    op.add_column("arrangement", sa.Column("in_force_version", sa.Integer(), nullable=True))
    op.add_column("arrangement", sa.Column("amendment_draft", sa.JSON(), nullable=True))
    # the same statement on both backends: a nullable column with its enum's named CHECK
    values = ", ".join(f"'{v}'" for v in AMENDMENT_VALUES)
    op.execute(
        "ALTER TABLE arrangement ADD COLUMN amendment VARCHAR(17) "
        f"CONSTRAINT ck_arrangement_amendmentstatus CHECK (amendment IN ({values}))"
    )
    bind = op.get_bind()
    _snapshot(bind)
    triggers = SQLITE_TRIGGERS if bind.dialect.name == "sqlite" else POSTGRES_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    # the versions and the hashes go: what was signed is again only in the columns
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER arrangement_version_no_update")
        op.execute("DROP TRIGGER arrangement_version_no_delete")
    else:
        op.execute("DROP TRIGGER arrangement_version_no_truncate ON arrangement_version")
        op.execute("DROP TRIGGER arrangement_version_no_update_or_delete ON arrangement_version")
        op.execute("DROP FUNCTION arrangement_version_append_only()")
    with op.batch_alter_table("arrangement", schema=None) as batch_op:
        batch_op.drop_constraint("ck_arrangement_amendmentstatus", type_="check")
        batch_op.drop_column("amendment")
        batch_op.drop_column("amendment_draft")
        batch_op.drop_column("in_force_version")
    with op.batch_alter_table("sign_off", schema=None) as batch_op:
        batch_op.drop_column("content_hash")
    op.drop_index(op.f("ix_arrangement_version_arrangement_id"), table_name="arrangement_version")
    op.drop_table("arrangement_version")
