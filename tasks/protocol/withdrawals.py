"""Use cases for a partner's withdrawal from the Protocol by written notice to the chairs
(§42): the notice, and its taking effect on the effective date."""

from datetime import date

import pendulum
from sqlmodel import Session, select

from models.clocks import local_date
from models.enums import ContactRole, WithdrawalStatus
from models.errors import InvalidInput, Refused
from models.events import DomainEvent, WithdrawalCompleted, WithdrawalNoticed
from models.inputs import required_text
from models.lifecycles import AGENCY_MEMBERSHIP, WITHDRAWAL
from models.tables import Agency, Withdrawal
from tasks.lookup import agency_by_name, require_role_at, resolve_actor, withdrawal_by_ref
from tasks.protocol.membership import (
    Departure,
    leave,
    live_arrangements,
    move_agency,
    move_suspension,
    open_suspension,
)
from tasks.uow import UnitOfWork, unit_of_work


def withdraw_agency(
    session: Session,
    *,
    agency: str,
    reason: str,
    actor: str,
    now: pendulum.DateTime,
    effective_on: date | None = None,
) -> list[DomainEvent]:
    """The agency's signatory gives the chairs written notice of withdrawal, with reason (§42).
    Effective today (the default) it takes effect at once; a later date is carried out on that
    date by the withdrawal flow's check, or by the daily deadline sweep."""
    reason = required_text(reason, "the reason", field="reason")
    if effective_on is not None and effective_on < local_date(now):
        raise InvalidInput(
            f"{{effective}} {effective_on} is in the past",
            inputs={"effective": "the effective date"},
        )
    with unit_of_work(session, actor=actor, now=now, action="withdrawal.notify") as uow:
        uow.about("agency", agency)
        home = agency_by_name(session, agency, lock=True)
        who = resolve_actor(session, actor)
        require_role_at(who, home, ContactRole.SIGNATORY, to=f"withdraw {home.name}")
        give_notice(uow, home, reason=reason, effective_on=effective_on or local_date(now))
        return uow.events


def complete_withdrawal(
    session: Session, *, withdrawal: str, as_of: date, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """On its effective date the withdrawal takes effect. Before that date, or already done:
    nothing (the flow's check and the deadline sweep may both call this). The date is read from
    the clock as well as `as_of`: a rehearsal of a later day never takes an agency out early."""
    with unit_of_work(session, actor=actor, now=now, action="withdrawal.complete") as uow:
        uow.about("withdrawal", withdrawal)
        notice = withdrawal_by_ref(session, withdrawal, lock=True)
        if (
            notice.status == WithdrawalStatus.COMPLETED
            or min(as_of, local_date(now)) < notice.effective_on
        ):
            return uow.events
        home = session.exec(
            select(Agency).where(Agency.id == notice.agency_id).with_for_update()
        ).one()
        _take_effect(uow, notice, home)
        return uow.events


def give_notice(uow: UnitOfWork, home: Agency, *, reason: str, effective_on: date) -> None:
    """Record the notice to the chairs; on or after its effective date, carry it out too."""
    session = uow.session
    # fail before writing anything if the agency has already gone, or already gave notice
    AGENCY_MEMBERSHIP.fire(home.status, "withdraw", home.name)
    given = session.exec(select(Withdrawal).where(Withdrawal.agency_id == home.id)).first()
    if given is not None:
        raise Refused(
            f"{home.name} has already given notice of withdrawal under {given.reference}, "
            f"effective {given.effective_on.isoformat()}"
        )
    reference = uow.next_reference("WDR")
    assert home.id is not None
    notice = Withdrawal(
        reference=reference,
        agency_id=home.id,
        reason=reason,
        raised_by=uow.actor,
        noticed_at=uow.now,
        effective_on=effective_on,
    )
    session.add(notice)
    session.flush()
    uow.record(
        "withdrawal.notify",
        subject_type="withdrawal",
        subject_ref=reference,
        after={"agency": home.name, "reason": reason, "effective_on": effective_on},
    )
    uow.emit(
        WithdrawalNoticed(
            withdrawal=reference,
            agency=home.name,
            reason=reason,
            effective_on=effective_on.isoformat(),
        )
    )
    if effective_on <= local_date(uow.now):
        _take_effect(uow, notice, home)


def _take_effect(uow: UnitOfWork, notice: Withdrawal, home: Agency) -> None:
    """The agency leaves every arrangement, its access is revoked, and it is withdrawn (§42)."""
    session = uow.session
    suspension = open_suspension(session, home.id)
    if suspension is not None:
        notice.suspension_id = suspension.id
        suspension.ended_at = uow.now
        move_suspension(uow, suspension, "end", why=f"{home.name} withdrew")
    move_agency(uow, home, "withdraw", withdrawal=notice.reference)
    outcomes: dict[Departure, list[str]] = {"terminated": [], "left": [], "redrafted": []}
    for arrangement in live_arrangements(session, home.id):
        outcomes[leave(uow, arrangement, home)].append(arrangement.reference)
    terminated, left, redrafted = outcomes["terminated"], outcomes["left"], outcomes["redrafted"]
    notice.completed_at = uow.now
    uow.move(
        notice,
        WITHDRAWAL,
        "complete",
        action="withdrawal.complete",
        subject_type="withdrawal",
        subject_ref=notice.reference,
        terminated=terminated,
        left=left,
        redrafted=redrafted,
    )
    uow.emit(
        WithdrawalCompleted(
            withdrawal=notice.reference,
            agency=home.name,
            effective_on=notice.effective_on.isoformat(),
            terminated=tuple(terminated),
            left=tuple(left),
            redrafted=tuple(redrafted),
            suspension=suspension.reference if suspension is not None else "",
        )
    )
