"""Use cases for destroying shared data when an arrangement ends (§9, §35-§37): one disposal task
per recipient agency, due at the arrangement's end plus its retention period, confirmed with a
certificate by that agency's nominated representative; the last confirmation closes it."""

from datetime import date
from typing import Any

import pendulum
from sqlalchemy import and_, bindparam, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models.clocks import local_date
from models.enums import ArrangementStatus, ContactRole, DisposalTaskStatus, PartyRole
from models.errors import NotFound
from models.events import (
    ArrangementClosed,
    DisposalConfirmed,
    DisposalEscalated,
    DisposalOverdue,
    DisposalReminderDue,
    DisposalScheduled,
    DomainEvent,
)
from models.inputs import MAX_TEXT, required_name
from models.lifecycles import DISPOSAL_TASK
from models.policies import DisposalPolicy
from models.tables import Agency, Arrangement, ArrangementParty, DisposalTask
from tasks.lookup import arrangement_by_ref, require_role_at, resolve_actor
from tasks.protocol.arrangements import transition
from tasks.sweeps import Claim, PhaseReport, in_batches, record_batch
from tasks.uow import UnitOfWork, unit_of_work

TASK = DisposalTask.__table__  # type: ignore[attr-defined]

RECEIVERS = (PartyRole.RECIPIENT, PartyRole.BOTH)
ENDED = (ArrangementStatus.TERMINATED, ArrangementStatus.LAPSED)


def disposal_due(arrangement: Arrangement) -> pendulum.Date:
    """The arrangement's end (London date) plus its retention period in months (§35)."""
    assert arrangement.ended_at is not None
    ended = local_date(pendulum.instance(arrangement.ended_at))
    return ended.add(months=arrangement.retention_months)


def _create_tasks(uow: UnitOfWork, arrangement: Arrangement, due: pendulum.Date) -> None:
    """A task for every agency that received data under the arrangement and has none yet,
    including a party that has since withdrawn: it still holds what it received."""
    session = uow.session
    have = set(
        session.exec(
            select(DisposalTask.agency_id).where(DisposalTask.arrangement_id == arrangement.id)
        ).all()
    )
    for _party, agency in session.exec(
        select(ArrangementParty, Agency)
        .join(Agency, col(Agency.id) == ArrangementParty.agency_id)
        .where(ArrangementParty.arrangement_id == arrangement.id)
        .where(col(ArrangementParty.role).in_(RECEIVERS))
        .order_by(col(ArrangementParty.id))
    ).all():
        if agency.id not in have:
            _add_task(uow, arrangement, agency, due)


def _add_task(
    uow: UnitOfWork, arrangement: Arrangement, agency: Agency, due: pendulum.Date
) -> None:
    assert arrangement.id is not None and agency.id is not None
    reference = uow.next_reference("DSP")
    uow.session.add(
        DisposalTask(
            reference=reference,
            arrangement_id=arrangement.id,
            agency_id=agency.id,
            due_on=due,
            method=arrangement.disposal_method,
            created_at=uow.now,
        )
    )
    uow.record(
        "disposal.schedule",
        subject_type="disposal_task",
        subject_ref=reference,
        after={"arrangement": arrangement.reference, "agency": agency.name, "due_on": due},
    )
    uow.emit(
        DisposalScheduled(
            task=reference,
            arrangement=arrangement.reference,
            agency=agency.name,
            due_on=due.isoformat(),
        )
    )


def schedule_disposal(
    session: Session, *, arrangement: str, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """An arrangement that was terminated or lapsed awaits the destruction of what was shared.
    Already scheduled (or closed): nothing happens, so a trigger and a sweep may both call it."""
    return _schedule(session, arrangement=arrangement, actor=actor, now=now)[0]


def _schedule(
    session: Session, *, arrangement: str, actor: str, now: pendulum.DateTime
) -> tuple[list[DomainEvent], int]:
    """`schedule_disposal`, and how many emails it queued."""
    with unit_of_work(session, actor=actor, now=now, action="disposal.schedule") as uow:
        uow.about("arrangement", arrangement)
        arrangement_row = arrangement_by_ref(session, arrangement, lock=True)
        if arrangement_row.status in ENDED:
            _create_tasks(uow, arrangement_row, disposal_due(arrangement_row))
            transition(uow, arrangement_row, "schedule_disposal")
    return uow.events, uow.queued


def confirm_disposal(
    session: Session,
    *,
    task: str,
    method: str,
    certificate: str,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """That agency's nominated representative records the destruction (§36); the last one
    closes the arrangement."""
    method = required_name(method, "the method", limit=MAX_TEXT, field="method")
    certificate = required_name(certificate, "the certificate reference", field="certificate")
    with unit_of_work(session, actor=actor, now=now, action="disposal.confirm") as uow:
        uow.about("disposal_task", task)
        held = session.exec(
            select(DisposalTask)
            .where(DisposalTask.reference == task.strip().upper())
            .with_for_update()
        ).first()
        if held is None:
            raise NotFound(f"no disposal task {task!r}", command="isa disposal list")
        agency = session.get(Agency, held.agency_id)
        arrangement = session.get(Arrangement, held.arrangement_id)
        assert agency is not None and arrangement is not None
        who = resolve_actor(session, actor)
        require_role_at(
            who, agency, ContactRole.NOMINATED_REPRESENTATIVE, to=f"confirm {held.reference}"
        )
        held.method, held.certificate = method, certificate
        held.confirmed_at, held.confirmed_by = now, who.email
        uow.move(
            held,
            DISPOSAL_TASK,
            "confirm",
            action="disposal.confirm",
            subject_type="disposal_task",
            subject_ref=held.reference,
            method=method,
            certificate=certificate,
        )
        uow.emit(
            DisposalConfirmed(
                task=held.reference,
                arrangement=arrangement.reference,
                agency=agency.name,
                certificate=certificate,
            )
        )
        session.flush()
        outstanding = session.exec(
            select(DisposalTask.id)
            .where(DisposalTask.arrangement_id == arrangement.id)
            .where(DisposalTask.status == DisposalTaskStatus.PENDING)
        ).first()
        if outstanding is None and arrangement.status == ArrangementStatus.DISPOSAL_PENDING:
            transition(uow, arrangement, "close")
            uow.emit(ArrangementClosed(arrangement=arrangement.reference))
        return uow.events


def schedule_for_leaver(uow: UnitOfWork, arrangement: Arrangement, agency: Agency) -> None:
    """A recipient that withdraws from an arrangement the others carry on with must still
    destroy what it received: one task, due at its leaving plus the retention period."""
    role = uow.session.exec(
        select(ArrangementParty.role)
        .where(ArrangementParty.arrangement_id == arrangement.id)
        .where(ArrangementParty.agency_id == agency.id)
    ).first()
    if role not in RECEIVERS:
        return
    due = local_date(uow.now).add(months=arrangement.retention_months)
    already = uow.session.exec(
        select(DisposalTask.id)
        .where(DisposalTask.arrangement_id == arrangement.id)
        .where(DisposalTask.agency_id == agency.id)
    ).first()
    if already is None:
        _add_task(uow, arrangement, agency, due)


def schedule_ended_arrangements(
    session: Session, *, as_of: date, now: pendulum.DateTime, actor: str
) -> PhaseReport:
    """The safety net for the trigger: every terminated or lapsed arrangement gets its tasks."""
    report = PhaseReport("scheduled")
    ended = session.exec(
        select(Arrangement.reference)
        .where(col(Arrangement.status).in_(ENDED))
        .order_by(col(Arrangement.id))
    ).all()
    for ref in ended:
        events, queued = _schedule(session, arrangement=ref, actor=actor, now=now)
        report.queued += queued
        for event in events:
            fields = event.as_dict()
            report.add(ref, "disposal scheduled", f"{fields['agency']} by {fields['due_on']}")
    return report


def _pending_tasks() -> Any:
    """Unconfirmed disposal tasks with their arrangement and agency, for the sweep's phases."""
    return (
        sa_select(
            TASK.c.id,
            TASK.c.reference,
            TASK.c.due_on,
            col(Arrangement.reference),
            col(Agency.name),
        )
        .join(Arrangement, col(Arrangement.id) == TASK.c.arrangement_id)
        .join(Agency, col(Agency.id) == TASK.c.agency_id)
        .where(TASK.c.status == DisposalTaskStatus.PENDING.value)
    )


def remind_disposals(
    session: Session, *, as_of: date, policy: DisposalPolicy, now: pendulum.DateTime, actor: str
) -> PhaseReport:
    """Remind the agency's nominated representatives and points of contact before the date."""
    report = PhaseReport("reminders")
    day = pendulum.Date(as_of.year, as_of.month, as_of.day)
    rungs = tuple(sorted(policy.reminder_days))
    owed = or_(
        *[
            and_(
                TASK.c.due_on <= day.add(days=r),
                or_(TASK.c.reminded_rung.is_(None), TASK.c.reminded_rung > r),
            )
            for r in rungs
        ]
    )

    def act(uow: UnitOfWork, claim: Claim) -> int:
        batch = uow.session.execute(
            claim(
                _pending_tasks()
                .where(TASK.c.due_on > day)
                .where(owed)
                .order_by(TASK.c.id)
                .limit(policy.batch_size),
                TASK,
            )
        ).all()
        if not batch:
            return 0
        updates, events = [], []
        for task_id, ref, due_on, arrangement, agency in batch:
            rung = min(r for r in rungs if r >= (due_on - day).days)
            updates.append({"task_id": task_id, "rung": rung})
            events.append(
                DisposalReminderDue(
                    task=ref,
                    arrangement=arrangement,
                    agency=agency,
                    due_on=due_on.isoformat(),
                    days_before=rung,
                )
            )
            report.add(ref, f"reminded: due in {(due_on - day).days} days", agency)
        uow.session.execute(
            update(TASK)
            .where(TASK.c.id == bindparam("task_id"))
            .values(reminded_rung=bindparam("rung")),
            updates,
        )
        record_batch(
            uow,
            "disposal.remind",
            "disposal-sweep",
            as_of,
            {"reminded": {row[1]: u["rung"] for row, u in zip(batch, updates, strict=True)}},
            events,
        )
        return len(batch)

    return in_batches(
        session, actor=actor, now=now, action="disposal.remind", report=report, act=act
    )


def escalate_overdue_disposals(
    session: Session, *, as_of: date, policy: DisposalPolicy, now: pendulum.DateTime, actor: str
) -> PhaseReport:
    """Overdue: tell the agency's DPO; after the escalation period, the chairs."""
    report = PhaseReport("overdue")
    day = pendulum.Date(as_of.year, as_of.month, as_of.day)
    chairs_from = day.subtract(days=policy.escalate_to_chairs_after_days)

    def act(uow: UnitOfWork, claim: Claim) -> int:
        batch = uow.session.execute(
            claim(
                _pending_tasks()
                .where(TASK.c.due_on < day)
                .where(
                    or_(
                        TASK.c.escalation < 1,
                        and_(TASK.c.escalation < 2, TASK.c.due_on <= chairs_from),
                    )
                )
                .order_by(TASK.c.id)
                .limit(policy.batch_size),
                TASK,
            )
        ).all()
        if not batch:
            return 0
        updates, events = [], []
        for task_id, ref, due_on, arrangement, agency in batch:
            to_chairs = due_on <= chairs_from
            updates.append({"task_id": task_id, "level": 2 if to_chairs else 1})
            kind = DisposalEscalated if to_chairs else DisposalOverdue
            events.append(
                kind(task=ref, arrangement=arrangement, agency=agency, due_on=due_on.isoformat())
            )
            report.add(ref, "escalated to the chairs" if to_chairs else "overdue: DPO told", agency)
        uow.session.execute(
            update(TASK)
            .where(TASK.c.id == bindparam("task_id"))
            .values(escalation=bindparam("level")),
            updates,
        )
        record_batch(
            uow,
            "disposal.escalate",
            "disposal-sweep",
            as_of,
            {"escalated": {row[1]: u["level"] for row, u in zip(batch, updates, strict=True)}},
            events,
        )
        return len(batch)

    return in_batches(
        session, actor=actor, now=now, action="disposal.escalate", report=report, act=act
    )


def sweep_disposals(
    session: Session, *, as_of: date, policy: DisposalPolicy, now: pendulum.DateTime, actor: str
) -> list[PhaseReport]:
    """Schedule what ended, remind what is coming due, escalate what is overdue."""
    return [
        schedule_ended_arrangements(session, as_of=as_of, now=now, actor=actor),
        remind_disposals(session, as_of=as_of, policy=policy, now=now, actor=actor),
        escalate_overdue_disposals(session, as_of=as_of, policy=policy, now=now, actor=actor),
    ]
