"""Use cases for destroying shared data when an arrangement ends (§9, §35-§37): one disposal task
per recipient agency, due at the arrangement's end plus its retention period, confirmed with a
certificate by that agency's nominated representative; the last confirmation closes it."""

import pendulum
from sqlmodel import Session, col, select

from models.clocks import local_date
from models.enums import ArrangementStatus, ContactRole, DisposalTaskStatus, PartyRole
from models.errors import NotFound
from models.events import ArrangementClosed, DisposalConfirmed, DisposalScheduled, DomainEvent
from models.inputs import required_text
from models.lifecycles import DISPOSAL_TASK
from models.tables import Agency, Arrangement, ArrangementParty, DisposalTask
from tasks.arrangements import transition
from tasks.lookup import arrangement_by_ref, require_role_at, resolve_actor
from tasks.uow import UnitOfWork, unit_of_work

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
        if agency.id in have:
            continue
        assert arrangement.id is not None and agency.id is not None
        reference = uow.next_reference("DSP")
        session.add(
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
    with unit_of_work(session, actor=actor, now=now, action="disposal.schedule") as uow:
        uow.about("arrangement", arrangement)
        isa = arrangement_by_ref(session, arrangement, lock=True)
        if isa.status not in ENDED:
            return uow.events
        _create_tasks(uow, isa, disposal_due(isa))
        transition(uow, isa, "schedule_disposal")
        return uow.events


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
    method = required_text(method, "--method")
    certificate = required_text(certificate, "--certificate")
    with unit_of_work(session, actor=actor, now=now, action="disposal.confirm") as uow:
        uow.about("disposal_task", task)
        held = session.exec(
            select(DisposalTask)
            .where(DisposalTask.reference == task.strip().upper())
            .with_for_update()
        ).first()
        if held is None:
            raise NotFound(f"no disposal task {task!r} (see `isa disposal list`)")
        agency = session.get(Agency, held.agency_id)
        isa = session.get(Arrangement, held.arrangement_id)
        assert agency is not None and isa is not None
        who = resolve_actor(session, actor)
        require_role_at(
            who, agency, ContactRole.NOMINATED_REPRESENTATIVE, to=f"confirm {held.reference}"
        )
        before = {"status": held.status}
        held.status = DISPOSAL_TASK.fire(held.status, "confirm", held.reference)
        held.method, held.certificate = method, certificate
        held.confirmed_at, held.confirmed_by = now, who.email
        session.add(held)
        uow.record(
            "disposal.confirm",
            subject_type="disposal_task",
            subject_ref=held.reference,
            before=before,
            after={"status": held.status, "method": method, "certificate": certificate},
        )
        uow.emit(
            DisposalConfirmed(
                task=held.reference,
                arrangement=isa.reference,
                agency=agency.name,
                certificate=certificate,
            )
        )
        session.flush()
        outstanding = session.exec(
            select(DisposalTask.id)
            .where(DisposalTask.arrangement_id == isa.id)
            .where(DisposalTask.status == DisposalTaskStatus.PENDING)
        ).first()
        if outstanding is None and isa.status == ArrangementStatus.DISPOSAL_PENDING:
            transition(uow, isa, "close")
            uow.emit(ArrangementClosed(arrangement=isa.reference))
        return uow.events
