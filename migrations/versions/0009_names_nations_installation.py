"""Agencies compared by one name key and placed in a nation; the register's own identifier.

`agency.name_key` (models.inputs.name_key: NFKC, case-folded, whitespace collapsed) is unique,
so names that differ only in case, spacing or width are one agency on either backend; existing
agencies that would collide are named and the migration refused. `agency.nation` says whose
public holidays move its subject access deadlines (existing agencies: England and Wales).
`installation` holds one random identifier, made here once, that Message-IDs and calendar UIDs
carry.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 16:00:00
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from models.errors import IsaError
from models.inputs import name_key
from models.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NATIONS = ("england_and_wales", "scotland", "northern_ireland")


def upgrade() -> None:
    bind = op.get_bind()
    agencies = bind.execute(sa.text("SELECT id, name FROM agency ORDER BY id")).all()
    keys: dict[str, str] = {}
    for _, name in agencies:
        clash = keys.setdefault(name_key(name), name)
        if clash != name:
            raise IsaError(
                f"agencies {clash!r} and {name!r} differ only in case or spacing: rename one "
                "(they would be one agency) before upgrading"
            )
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "nation",
                sa.Enum(*NATIONS, name="nation", native_enum=False, create_constraint=True),
                nullable=False,
                server_default="england_and_wales",
            )
        )
    for agency_id, name in agencies:
        bind.execute(
            sa.text("UPDATE agency SET name_key = :k WHERE id = :i"),
            {"k": name_key(name), "i": agency_id},
        )
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.alter_column("name_key", existing_type=sa.Text(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_agency_name_key"), ["name_key"])

    installation = op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_installation_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
    )
    # 80 random bits, base32 without padding: 16 characters, short enough for a Message-ID
    op.bulk_insert(
        installation,
        [{"id": 1, "identifier": _identifier(), "created_at": datetime.now(UTC)}],
    )


def _identifier() -> str:
    import base64

    return base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


def downgrade() -> None:
    op.drop_table("installation")
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_agency_name_key"), type_="unique")
        batch_op.drop_column("nation")
        batch_op.drop_column("name_key")
