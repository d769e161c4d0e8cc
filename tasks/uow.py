"""The unit of work every use case runs in: one transaction that applies the change, appends
its audit events, queues its emails and the Prefect events it owes, and commits; or on a
refusal rolls back and records only the refusal (§8)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pendulum
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from core.db import AUDIT_SEAL, BEFORE_COMMIT, EVIDENCE, WRITE_TRANSACTION
from models.audit import AuditSeal, audit_hash
from models.enums import AuditOutcome
from models.errors import InvalidInput, IsaError, Refused
from models.events import DomainEvent
from models.inputs import normalise_email
from models.lifecycles import Lifecycle
from models.plain import plain
from models.tables import AuditEvent, AuditHead, ReferenceCounter
from notifications.outbox import queue_notifications
from notifications.publication import stage_events


@dataclass
class UnitOfWork:
    session: Session
    actor: str
    now: pendulum.DateTime
    action: str
    subject_type: str | None = None
    subject_ref: str | None = None
    events: list[DomainEvent] = field(default_factory=list)
    # how many new emails the events put in the outbox, and how many Prefect events they owe
    # (set at commit)
    queued: int = 0
    staged: int = 0

    def about(self, subject_type: str, subject_ref: str | None) -> None:
        """Name what this action is about, so a refusal is recorded against it too."""
        self.subject_type, self.subject_ref = subject_type, subject_ref

    def emit(self, event: DomainEvent) -> None:
        self.events.append(event)

    def record(
        self,
        action: str,
        *,
        subject_type: str,
        subject_ref: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        detail: str | None = None,
    ) -> None:
        append_audit(
            self.session,
            occurred_at=self.now,
            actor=self.actor,
            action=action,
            outcome=AuditOutcome.DONE,
            subject_type=subject_type,
            subject_ref=subject_ref,
            before=before,
            after=after,
            detail=detail,
        )

    def move(
        self,
        record: Any,
        lifecycle: Lifecycle[Any],
        event: str,
        *,
        action: str,
        subject_type: str,
        subject_ref: str,
        named: str | None = None,
        state: Callable[[Any], dict[str, Any]] | None = None,
        before: dict[str, Any] | None = None,
        **detail: Any,
    ) -> None:
        """Fire `event` on `record`'s status through its transition table (an illegal move
        raises before anything is written), add the record, and record the move in the audit
        chain as `action`: before and after it as `state` shows it (its status, unless given),
        the after with `detail`. Set any other field the move changes before calling this."""
        shown = state or _status_of
        was = before if before is not None else shown(record)
        record.status = lifecycle.fire(record.status, event, named or subject_ref)
        self.session.add(record)
        self.record(
            action,
            subject_type=subject_type,
            subject_ref=subject_ref,
            before=was,
            after={**shown(record), **detail},
        )

    def next_reference(self, prefix: str) -> str:
        return next_reference(self.session, prefix, self.now.year)


def _status_of(record: Any) -> dict[str, Any]:
    return {"status": record.status}


@contextmanager
def unit_of_work(
    session: Session, *, actor: str, now: pendulum.DateTime, action: str
) -> Iterator[UnitOfWork]:
    """Commit everything done inside, or nothing; a `Refused` leaves one refusal audit event."""
    actor = checked_actor(actor)
    uow = UnitOfWork(session=session, actor=actor, now=now, action=action)
    if session.in_transaction():
        # the unit of work owns its transaction: end any read the caller left open first
        session.commit()
    session.connection(execution_options={WRITE_TRANSACTION: True})
    try:
        yield uow
        # what the way in asked to do inside this transaction (the web marks its link used)
        for step in session.info.get(BEFORE_COMMIT, ()):
            step(uow)
        # the events' emails, and the Prefect events that start their flows, go into the
        # outboxes in this same transaction (DESIGN §6): published after the commit
        uow.queued = queue_notifications(uow)
        uow.staged = stage_events(
            session, uow.events, now, emails=uow.queued, about=uow.subject_ref or action
        )
        session.commit()
    except Refused as refusal:
        session.rollback()
        append_audit(
            session,
            occurred_at=now,
            actor=actor,
            action=action,
            outcome=AuditOutcome.REFUSED,
            subject_type=uow.subject_type,
            subject_ref=uow.subject_ref,
            before=None,
            after=None,
            detail=str(refusal),
        )
        session.commit()
        raise
    except BaseException:
        session.rollback()
        raise


# Actors that are not a person: the operator at the command line, or a flow.
OPERATOR_PREFIXES = ("cli:", "system:")


def checked_actor(actor: str) -> str:
    """Who acts, as the audit log will name them: the operator (`cli:alice`) or a flow
    (`system:prefect`), or else an email address; anything else, or any control character, is
    refused before anything is written, so no actor can forge a line of the log."""
    if not actor or any(not c.isprintable() for c in actor):
        raise InvalidInput(f"the person acting, {actor!r}, is not a valid name or email address")
    if actor.startswith(OPERATOR_PREFIXES):
        return actor
    return normalise_email(actor)


def is_operator(actor: str) -> bool:
    return actor.startswith(OPERATOR_PREFIXES)


def append_audit(
    session: Session,
    *,
    occurred_at: pendulum.DateTime,
    actor: str,
    action: str,
    outcome: AuditOutcome,
    subject_type: str | None,
    subject_ref: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    detail: str | None,
) -> AuditEvent:
    # Bumping the head first takes its row lock (PostgreSQL) or the write lock (SQLite), so
    # concurrent appends queue up and the chain never forks.
    session.execute(
        update(AuditHead).where(col(AuditHead.id) == 1).values(seq=col(AuditHead.seq) + 1)
    )
    seq, prev_hash = session.execute(
        select(col(AuditHead.seq), col(AuditHead.hash)).where(col(AuditHead.id) == 1)
    ).one()
    seal = audit_seal_of(session)
    _check_the_key_sealed_the_log(session, seal, seq - 1)
    at = pendulum.instance(occurred_at).in_timezone("UTC")
    fields: dict[str, Any] = dict(
        seq=seq,
        occurred_at=at,
        actor=actor,
        channel=seal.channel,
        os_user=seal.os_user,
        action=action,
        outcome=outcome.value,
        subject_type=subject_type,
        subject_ref=subject_ref,
        before=plain(before) if before is not None else None,
        after=plain(after) if after is not None else None,
        detail=detail,
        prev_hash=prev_hash,
    )
    evidence = session.info.get(EVIDENCE)
    if evidence is not None:
        fields["evidence"] = plain(evidence)
    digest = audit_hash(seal.key, **fields)
    event = AuditEvent(**fields, hash=digest)
    session.add(event)
    session.flush()
    session.execute(update(AuditHead).where(col(AuditHead.id) == 1).values(hash=digest))
    return event


# Set in a session's `info` once its seal's key is known to have sealed the log it appends to.
_KEY_CHECKED = "isa_audit_key_checked"


def sealed_hash(key: bytes, event: AuditEvent) -> str:
    """The hash `key` gives the stored event: its own `hash` if the key sealed it unaltered."""
    return audit_hash(
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
        evidence=event.evidence,
    )


def _check_the_key_sealed_the_log(session: Session, seal: AuditSeal, last: int) -> None:
    """Refuse to seal events with a key that sealed neither the log's first event nor its last:
    another key's events would read as altered ever after. (One of the two suffices, so an
    altered event is left for `isa audit verify` to name, not mistaken for a wrong key.)"""
    if last < 1 or session.info.get(_KEY_CHECKED):
        return
    sealed = session.execute(select(AuditEvent).where(col(AuditEvent.seq).in_({1, last}))).scalars()
    if not any(sealed_hash(seal.key, event) == event.hash for event in sealed):
        raise IsaError(
            f"the audit key from {seal.source} did not seal this register's audit log (neither "
            f"event #1 nor #{last} verifies with it): refusing to seal events with another key; "
            "point ISA_AUDIT_KEY_FILE (or ISA_AUDIT_KEY) at the register's own key"
        )
    session.info[_KEY_CHECKED] = True


def append_refusal(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str | None,
    subject_ref: str | None,
    detail: str,
    now: pendulum.DateTime,
) -> AuditEvent:
    """A refusal found before a use case ran (a web form's name or token): recorded as the
    use case's own refusal would be, and nothing else."""
    if session.in_transaction():
        session.rollback()
    return append_audit(
        session,
        occurred_at=now,
        actor=checked_actor(actor),
        action=action,
        outcome=AuditOutcome.REFUSED,
        subject_type=subject_type,
        subject_ref=subject_ref,
        before=None,
        after=None,
        detail=detail,
    )


def audit_seal_of(session: Session) -> AuditSeal:
    """The seal of the engine this session writes through (core.db.make_engine's `audit`)."""
    seal = session.connection().get_execution_options().get(AUDIT_SEAL)
    if not isinstance(seal, AuditSeal):
        raise RuntimeError(
            "this engine has no audit seal: make it with make_engine(url, audit=audit_seal(...))"
        )
    return seal


def next_reference(session: Session, prefix: str, year: int) -> str:
    """The next human-readable reference, e.g. `ISA-2026-0001`; safe under concurrent writers."""
    bind = session.get_bind()
    insert = postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
    upsert = (
        insert(ReferenceCounter)
        .values(prefix=prefix, year=year, last=1)
        .on_conflict_do_update(
            index_elements=["prefix", "year"], set_={"last": col(ReferenceCounter.last) + 1}
        )
        .returning(col(ReferenceCounter.last))
    )
    number = session.execute(upsert).scalar_one()
    return f"{prefix}-{year}-{number:04d}"
