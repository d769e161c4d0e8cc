"""Reading and verifying the audit chain: every state change and refusal, in order, unaltered."""

from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import Session, col, select

from models.audit import GENESIS_HASH, audit_hash
from models.tables import AuditEvent, AuditHead
from tasks.uow import audit_seal_of


def audit_events(session: Session, *, limit: int | None = None) -> list[AuditEvent]:
    """The newest `limit` events (all when None), oldest first."""
    stmt = select(AuditEvent).order_by(col(AuditEvent.seq).desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(reversed(session.exec(stmt).all()))


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"audit event #{self.seq}: {self.problem}"


def _in_order(session: Session, batch: int = 1000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.seq > last)
            .order_by(col(AuditEvent.seq))
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_audit_chain(session: Session) -> tuple[int, ChainBreak | None]:
    """Recompute every hash in order; return how many events checked out and the first break."""
    key = audit_seal_of(session).key
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    for event in _in_order(session):
        if event.seq != expected_seq:
            return count, ChainBreak(
                expected_seq, f"is missing (the sequence jumps to #{event.seq})"
            )
        if event.prev_hash != expected_prev:
            return count, ChainBreak(event.seq, "does not follow the event before it (prev_hash)")
        recomputed = audit_hash(
            key,
            seq=event.seq,
            occurred_at=event.occurred_at,
            actor=event.actor,
            channel=event.channel,
            os_user=event.os_user,
            action=event.action,
            outcome=event.outcome.value,
            subject_type=event.subject_type,
            subject_ref=event.subject_ref,
            before=event.before,
            after=event.after,
            detail=event.detail,
            prev_hash=event.prev_hash,
        )
        if recomputed != event.hash:
            return count, ChainBreak(
                event.seq, "has been altered: its content does not match its hash"
            )
        expected_prev, expected_seq, count = event.hash, event.seq + 1, count + 1
    head = session.get(AuditHead, 1)
    if head is None or head.seq != count or head.hash != expected_prev:
        return count, ChainBreak(
            count + 1,
            "the chain's head does not match its last event (events were removed from the end)",
        )
    return count, None
