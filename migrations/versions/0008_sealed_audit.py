"""The audit log sealed: who wrote each event (channel and operating-system user), the chain
re-hashed under the audit key (an HMAC the database alone cannot recompute), and triggers that
refuse UPDATE and DELETE of audit rows on both backends.

Only a migration drops these triggers. A SQLite migration that alters `audit_event` in batch
mode copies the table and loses them: such a migration must create them again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:00:00
"""

import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from models.errors import IsaError
from models.types import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
EVENTS = sa.table(
    "audit_event",
    sa.column("seq", sa.Integer),
    sa.column("occurred_at", UTCDateTime()),
    sa.column("actor", sa.String),
    sa.column("channel", sa.String),
    sa.column("os_user", sa.String),
    sa.column("action", sa.String),
    sa.column("outcome", sa.String),
    sa.column("subject_type", sa.String),
    sa.column("subject_ref", sa.String),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
    sa.column("detail", sa.Text),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)

SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END""",
)
POSTGRES_TRIGGERS = (
    """CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP; END $$""",
    """CREATE TRIGGER audit_event_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
)


def _payload(row: dict[str, Any], *, keyed: bool) -> bytes:
    at: datetime = row["occurred_at"]
    names = ("seq", "actor", "action", "outcome", "subject_type", "subject_ref", "before")
    payload = {name: row[name] for name in (*names, "after", "detail", "prev_hash")}
    payload["occurred_at"] = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if keyed:
        payload |= {"channel": row["channel"], "os_user": row["os_user"]}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def _reseal(key: bytes | None) -> None:
    """Check the unkeyed chain as it stands, then seal every event with the key: a history
    already broken is refused, not laundered."""
    bind = op.get_bind()
    rows = [dict(r) for r in bind.execute(sa.select(EVENTS).order_by(EVENTS.c.seq)).mappings()]
    if not rows:
        return
    if key is None:
        raise IsaError(
            "migration 0008 seals the existing audit log with the audit key: run `isa db upgrade`"
        )
    previous, new_previous = GENESIS, GENESIS
    updates = []
    for expected, row in enumerate(rows, start=1):
        if (
            row["seq"] != expected
            or row["prev_hash"] != previous
            or hashlib.sha256(_payload(row, keyed=False)).hexdigest() != row["hash"]
        ):
            raise IsaError(
                f"the audit chain is broken at event #{expected}: migration 0008 will not seal "
                "a history that does not verify (`isa audit verify` on the previous version)"
            )
        previous = row["hash"]
        sealed = {**row, "prev_hash": new_previous}
        new_hash = hmac.new(key, _payload(sealed, keyed=True), hashlib.sha256).hexdigest()
        updates.append({"b_seq": row["seq"], "b_prev": new_previous, "b_hash": new_hash})
        new_previous = new_hash
    # a new HMAC never equals an old SHA-256 hash, so rewriting in order keeps `hash` unique
    for chunk in (updates[i : i + 500] for i in range(0, len(updates), 500)):
        bind.execute(
            EVENTS.update()
            .where(EVENTS.c.seq == sa.bindparam("b_seq"))
            .values(prev_hash=sa.bindparam("b_prev"), hash=sa.bindparam("b_hash")),
            chunk,
        )
    bind.execute(sa.text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": new_previous})


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(), nullable=False, server_default="cli")
        )
        batch_op.add_column(sa.Column("os_user", sa.String(), nullable=True))
    op.execute("UPDATE audit_event SET channel = 'prefect' WHERE actor LIKE 'system:%'")
    _reseal(context.config.attributes.get("audit_key"))
    triggers = SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else POSTGRES_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    # the events stay sealed with the key: the previous version's verify would call them altered
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
    else:
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER audit_event_no_update_or_delete ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("os_user")
        batch_op.drop_column("channel")
