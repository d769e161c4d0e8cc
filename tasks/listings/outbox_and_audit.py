"""What the register records of its own doing: the emails queued in its outbox and the audit
log."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from models.types import MAX_ROWS
from tasks.listings import iso
from tasks.listings.tables import audit_event, outbox


@dataclass(frozen=True)
class EmailRow:
    id: int | None
    status: str
    event: str
    about: str
    recipient: str
    subject: str
    attempts: int
    next_attempt_at: str
    sent_at: str | None
    message_id: str
    smtp_reply: str | None
    last_error: str | None


def emails(
    conn: Connection, *, status: str | None = None, limit: int = 50
) -> tuple[list[EmailRow], int]:
    """The newest `limit` queued emails (or those in one status), and how many there are."""
    o = outbox.c
    stmt = select(outbox).order_by(o.id.desc()).limit(min(limit, MAX_ROWS))
    counting = select(func.count()).select_from(outbox)
    if status is not None:
        stmt = stmt.where(o.status == status)
        counting = counting.where(o.status == status)
    total = conn.execute(counting).scalar_one()
    rows = [
        EmailRow(
            id=row.id,
            status=row.status,
            event=row.event,
            about=row.subject_ref,
            recipient=row.recipient,
            subject=row.subject,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at.isoformat(),
            sent_at=iso(row.sent_at),
            message_id=row.message_id,
            smtp_reply=row.smtp_reply,
            last_error=row.last_error,
        )
        for row in conn.execute(stmt)
    ]
    return rows, total


def audit_rows(conn: Connection, *, limit: int | None = None) -> list[dict[str, Any]]:
    """The newest `limit` audit events (all when None), oldest first, as plain data."""
    e = audit_event.c
    stmt = select(audit_event).order_by(e.seq.desc())
    if limit is not None:
        stmt = stmt.limit(min(limit, MAX_ROWS))
    return [
        {
            "seq": row.seq,
            "occurred_at": row.occurred_at.isoformat(),
            "actor": row.actor,
            "channel": row.channel,
            "os_user": row.os_user,
            "action": row.action,
            "outcome": row.outcome,
            "subject": row.subject_ref,
            "before": row.before,
            "after": row.after,
            "detail": row.detail,
            "evidence": row.evidence,
            "hash": row.hash,
        }
        for row in reversed(conn.execute(stmt).all())
    ]
