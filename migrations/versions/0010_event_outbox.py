"""The event outbox: the Prefect events a change owes, written in its transaction; and the
meeting invitation's SEQUENCE and organizer kept on the suspension.

A suspension or withdrawal whose flow never started (`flow_started_at` empty, raised while the
Prefect server was down) gets the event that starts it, unpublished, so the next publication
(the next command, delivery run, or `isa up`) starts its flow; the markers then go, since the
outbox replaces them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 22:30:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from models.types import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNSTARTED = (
    (
        "isa.suspension.raised",
        "suspension.raised",
        "SELECT reference FROM suspension WHERE flow_started_at IS NULL AND status != 'ended' "
        "ORDER BY id",
    ),
    (
        "isa.withdrawal.raised",
        "withdrawal.noticed",
        "SELECT reference FROM withdrawal WHERE flow_started_at IS NULL ORDER BY id",
    ),
)


def upgrade() -> None:
    outbox = op.create_table(
        "event_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_event_outbox_attempts_nonnegative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_event_outbox_event_id")),
    )
    with op.batch_alter_table("event_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_outbox_unpublished",
            ["id"],
            unique=False,
            sqlite_where=sa.text("published_at IS NULL"),
            postgresql_where=sa.text("published_at IS NULL"),
        )
    bind = op.get_bind()
    now = datetime.now(UTC)
    rows = [
        {
            "event_id": str(uuid.uuid4()),
            "event": event,
            "cause": cause,
            "reference": reference,
            "occurred_at": now,
            "attempts": 0,
        }
        for event, cause, query in UNSTARTED
        for (reference,) in bind.execute(sa.text(query)).all()
    ]
    if rows:
        op.bulk_insert(outbox, rows)
    for table in ("suspension", "withdrawal"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("flow_started_at")
    # the meeting's invitation SEQUENCE and organizer, kept on the suspension rather than
    # counted from the audit log each time an email is queued
    with op.batch_alter_table("suspension", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_sequence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("meeting_set_by", sa.String(), nullable=True))
    for reference, times, last in _meeting_history(bind):
        bind.execute(
            sa.text(
                "UPDATE suspension SET meeting_sequence = :n, meeting_set_by = :by "
                "WHERE reference = :ref"
            ),
            {"n": times - 1, "by": last, "ref": reference},
        )


def _meeting_history(bind: sa.Connection) -> list[tuple[str, int, str]]:
    """(suspension, times its meeting was set, by whom last) from the audit log."""
    rows = bind.execute(
        sa.text(
            "SELECT subject_ref, actor FROM audit_event WHERE subject_type = 'suspension' "
            "AND action = 'suspension.schedule_meeting' AND outcome = 'done' ORDER BY seq"
        )
    ).all()
    history: dict[str, tuple[int, str]] = {}
    for reference, actor in rows:
        times, _ = history.get(reference, (0, ""))
        history[reference] = (times + 1, actor)
    return [(reference, times, last) for reference, (times, last) in history.items()]


def downgrade() -> None:
    with op.batch_alter_table("suspension", schema=None) as batch_op:
        batch_op.drop_column("meeting_set_by")
        batch_op.drop_column("meeting_sequence")
    for table in ("suspension", "withdrawal"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("flow_started_at", UTCDateTime(), nullable=True))
    op.drop_table("event_outbox")
