"""The deadline sweep's use case (DESIGN §7): every open suspension checked as its checker
runs would, every withdrawal whose date has come carried out, every unacknowledged notice of a
withdrawn consent, every uncorrected data quality notice, every unanswered request to share data
onward and every information request nearing or past its due date (and its unanswered
consultations) chased, and every security incident still undecided chased on its 72-hour clock,
each action once."""

from datetime import date

import pendulum
from sqlmodel import Session, col, select

from models.clocks import local_date
from models.duties import MATTERS
from models.enums import SuspensionStatus, WithdrawalStatus
from models.events import WithdrawalCompleted
from models.tables import Suspension, Withdrawal
from tasks.chasing import chase_matter
from tasks.lookup import suspension_by_ref
from tasks.protocol.suspensions import check_matter
from tasks.protocol.withdrawals import complete_withdrawal
from tasks.sweeps import PhaseReport
from tasks.uow import unit_of_work


def sweep_deadlines(
    session: Session, *, as_of: date, actor: str, now: pendulum.DateTime
) -> list[PhaseReport]:
    """The safety net: every open suspension checked as its checker runs would, every
    withdrawal whose effective date has come carried out, and every partner's unacknowledged
    notice of a withdrawn consent, uncorrected notice of inaccurate data, unanswered request to
    share data onward and information request without an outcome (with its unanswered
    consultations) chased as far as the day owes. Suspensions are few (one open per agency at
    most), so each is checked in its own unit of work."""
    suspensions = PhaseReport("suspensions")
    for reference in session.exec(
        select(Suspension.reference)
        .where(Suspension.status != SuspensionStatus.ENDED)
        .order_by(col(Suspension.id))
    ).all():
        with unit_of_work(session, actor=actor, now=now, action="suspension.check") as uow:
            uow.about("suspension", reference)
            for what in check_matter(uow, suspension_by_ref(session, reference, lock=True), as_of):
                day, action = what.split(": ", 1)
                suspensions.add(reference, action, day)
        suspensions.queued += uow.queued
    today = local_date(now)
    if as_of > today:
        # a rehearsal of a later day: an end that day would bring waits for the clock
        for reference, ends_at in session.exec(
            select(Suspension.reference, Suspension.ends_at)
            .where(Suspension.status != SuspensionStatus.ENDED)
            .order_by(col(Suspension.id))
        ).all():
            ends = pendulum.instance(ends_at)
            if local_date(ends) <= as_of and now < ends:
                suspensions.hold(
                    reference, "end", f"ends {ends.in_timezone('Europe/London'):%Y-%m-%d %H:%M}"
                )
    withdrawals = PhaseReport("withdrawals")
    for reference, effective_on in session.exec(
        select(col(Withdrawal.reference), col(Withdrawal.effective_on))
        .where(Withdrawal.status == WithdrawalStatus.NOTIFIED)
        .where(col(Withdrawal.effective_on) <= as_of)
        .where(col(Withdrawal.effective_on) > today)
        .order_by(col(Withdrawal.id))
    ).all():
        withdrawals.hold(reference, "withdrawal taking effect", f"effective {effective_on}")
    session.rollback()
    for reference in session.exec(
        select(Withdrawal.reference)
        .where(Withdrawal.status == WithdrawalStatus.NOTIFIED)
        .where(col(Withdrawal.effective_on) <= min(as_of, today))
        .order_by(col(Withdrawal.id))
    ).all():
        for event in complete_withdrawal(
            session, withdrawal=reference, as_of=as_of, actor=actor, now=now
        ):
            if isinstance(event, WithdrawalCompleted):
                withdrawals.add(
                    reference,
                    "took effect",
                    f"{event.agency}: terminated {len(event.terminated)}, "
                    f"left {len(event.left)}, redrafted {len(event.redrafted)}",
                )
    # every declared duty chased up its ladder, a phase per matter (models.duties.MATTERS)
    chased = [
        chase_matter(session, matter, as_of=as_of, actor=actor, now=now) for matter in MATTERS
    ]
    return [suspensions, withdrawals, *chased]
