"""The daily sweeps that chase what falls due: missing sign-offs (§6) and periodic reviews (§31).

Each phase works set-wise in batches: one query finds a batch of what is due and not yet acted
on, one statement records what was done, one audit event names every record it touched, and
the emails go to the outbox in the same transaction. What a phase has done is stored on the
records themselves (the reminder rung sent, the escalation reached), so a second run the same
day finds nothing, and a run that crashed part-way resumes where it stopped.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any, Protocol

import pendulum
from sqlalchemy import and_, bindparam, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.db import PROGRESS
from models.clocks import LONDON, days_overdue, local_date
from models.enums import ArrangementStatus, ReviewStatus
from models.events import (
    ApprovalEscalated,
    ApprovalReminderDue,
    ArrangementLapsed,
    DomainEvent,
    ReviewEscalated,
    ReviewOpened,
    ReviewOverdue,
    ReviewReminderDue,
)
from models.lifecycles import ARRANGEMENT
from models.lifecycles import REVIEW as REVIEW_LIFECYCLE
from models.policies import APPROVAL_ESCALATION_DAY, APPROVAL_REMINDER_DAY, ReviewPolicy
from models.tables import Arrangement, Review, awaiting_sign_off
from tasks.protocol.arrangements import awaiting_signatures
from tasks.uow import UnitOfWork, unit_of_work

# bulk statements go through the tables (Core), not the ORM: no identity-map bookkeeping
REVIEW = Review.__table__  # type: ignore[attr-defined]
ARRANGEMENT_TABLE = Arrangement.__table__  # type: ignore[attr-defined]


@dataclass
class PhaseReport:
    """What one phase of a sweep found and did, for the flow's artifact and its logs."""

    phase: str
    acted: list[dict[str, Any]] = field(default_factory=list)
    queued: int = 0
    # what `as_of` owed that cannot be undone and is left until the clock reaches it
    held: list[dict[str, Any]] = field(default_factory=list)

    def add(self, reference: str, what: str, detail: str = "") -> None:
        self.acted.append({"reference": reference, "action": what, "detail": detail})

    def hold(self, reference: str, what: str, detail: str = "") -> None:
        """A rehearsal of a later day reached an irreversible step: say so and leave it."""
        self.held.append({"reference": reference, "action": what, "detail": detail})


class Claim(Protocol):
    """How a phase's batch claims the rows it picked (`in_batches` chooses)."""

    def __call__(self, stmt: Any, *tables: Any) -> Any: ...


def _claim(stmt: Any, *tables: Any, wait: bool) -> Any:
    # On PostgreSQL the rows are locked, those another sweep holds skipped (or, with `wait`,
    # waited for); once locked, a row's conditions on the locked tables are checked again as
    # it is then, so a row another sweep has just finished is not picked again. On SQLite the
    # unit of work holds the write lock, so the batch is read after any other sweep's commit.
    return stmt.with_for_update(skip_locked=not wait, of=list(tables) or None)


def _start_of_local_day(day: date) -> pendulum.DateTime:
    return pendulum.datetime(day.year, day.month, day.day, tz=LONDON).in_timezone("UTC")


def in_batches(
    session: Session,
    *,
    actor: str,
    now: pendulum.DateTime,
    action: str,
    report: PhaseReport,
    act: Callable[[UnitOfWork, Claim], int],
) -> PhaseReport:
    """Run `act` in one unit of work after another until the phase is done.

    Each batch claims its rows skipping those a concurrent sweep holds, so concurrent sweeps
    split the work. When no free row is left, one more claim waits for the rows others still
    hold: a sweep leaves a phase only once the whole phase is done, so the next phase sees all
    of it, and concurrent sweeps together do exactly what one sweep alone would.
    """
    wait = False
    while True:
        with unit_of_work(session, actor=actor, now=now, action=action) as uow:
            done = act(uow, partial(_claim, wait=wait))
        report.queued += uow.queued
        tick = session.info.get(PROGRESS)
        if tick is not None:
            tick(action, len(report.acted))
        if done == 0 and wait:
            return report
        wait = done == 0


def record_batch(
    uow: UnitOfWork,
    action: str,
    sweep: str,
    as_of: date,
    touched: Any,
    events: Sequence[DomainEvent],
) -> None:
    """One audit event naming every record a batch touched, and the batch's events to queue."""
    uow.record(action, subject_type="sweep", subject_ref=f"{sweep}-{as_of}", after=touched)
    uow.events.extend(events)


# --- approvals ---------------------------------------------------------------------------------


def chase_approvals(
    session: Session,
    *,
    as_of: date,
    now: pendulum.DateTime,
    actor: str,
    batch_size: int = 1000,
    only: str | None = None,
) -> PhaseReport:
    """Day 7 without every sign-off: remind the missing signatories. Day 14: tell the chairs."""
    remind_before = _start_of_local_day(
        pendulum.Date(as_of.year, as_of.month, as_of.day).subtract(days=APPROVAL_REMINDER_DAY - 1)
    )
    escalate_before = _start_of_local_day(
        pendulum.Date(as_of.year, as_of.month, as_of.day).subtract(days=APPROVAL_ESCALATION_DAY - 1)
    )
    report = PhaseReport("approvals")

    def act(uow: UnitOfWork, claim: Claim) -> int:
        which = [] if only is None else [col(Arrangement.reference) == only]
        stmt = (
            select(Arrangement)
            .where(awaiting_sign_off(), *which)
            .where(
                or_(
                    and_(
                        col(Arrangement.submitted_at) < remind_before,
                        col(Arrangement.approval_chase) < 1,
                    ),
                    and_(
                        col(Arrangement.submitted_at) < escalate_before,
                        col(Arrangement.approval_chase) < 2,
                    ),
                )
            )
            .order_by(col(Arrangement.id))
            .limit(batch_size)
        )
        batch = list(uow.session.exec(claim(stmt)).all())
        touched: dict[str, int] = {}
        events: list[DomainEvent] = []
        for arrangement in batch:
            assert arrangement.submitted_at is not None
            submitted_on = local_date(pendulum.instance(arrangement.submitted_at))
            awaiting = tuple(awaiting_signatures(uow.session, arrangement))
            escalate = pendulum.instance(arrangement.submitted_at) < escalate_before
            arrangement.approval_chase = 2 if escalate else 1
            uow.session.add(arrangement)
            touched[arrangement.reference] = arrangement.approval_chase
            submitted = submitted_on.isoformat()
            events.append(
                ApprovalEscalated(arrangement.reference, arrangement.version, submitted, awaiting)
                if escalate
                else ApprovalReminderDue(
                    arrangement.reference,
                    arrangement.version,
                    submitted,
                    awaiting,
                    escalates_on=submitted_on.add(days=APPROVAL_ESCALATION_DAY).isoformat(),
                )
            )
            report.add(
                arrangement.reference,
                "escalated to the chairs" if escalate else "signatories reminded",
                f"awaiting {', '.join(awaiting)}",
            )
        if batch:
            record_batch(uow, "approval.chase", "review-sweep", as_of, {"chased": touched}, events)
        return len(batch)

    return in_batches(
        session, actor=actor, now=now, action="approval.chase", report=report, act=act
    )


# --- reviews -----------------------------------------------------------------------------------


def remind_upcoming_reviews(
    session: Session, *, as_of: date, policy: ReviewPolicy, now: pendulum.DateTime, actor: str
) -> PhaseReport:
    """Send the reminder ladder's latest rung that has come due and was not sent yet."""
    rungs = policy.reminder_rungs
    report = PhaseReport("reminders")
    if not rungs:
        return report
    day = pendulum.Date(as_of.year, as_of.month, as_of.day)
    # a review is due a reminder at rung r once due_on - r <= as_of, unless r (or a nearer rung)
    # was already sent; the OR over rungs selects exactly the reviews owed one
    owed = or_(
        *[
            and_(
                col(Review.due_on) <= day.add(days=r),
                or_(col(Review.reminded_rung).is_(None), col(Review.reminded_rung) > r),
            )
            for r in rungs
        ]
    )

    def act(uow: UnitOfWork, claim: Claim) -> int:
        batch = uow.session.exec(
            claim(
                select(Review.id, col(Review.due_on), col(Arrangement.reference))
                .join(Arrangement, col(Arrangement.id) == col(Review.arrangement_id))
                .where(Review.status == ReviewStatus.SCHEDULED)
                .where(Arrangement.status == ArrangementStatus.ACTIVE)
                .where(Review.due_on > day)
                .where(owed)
                .order_by(col(Review.id))
                .limit(policy.batch_size),
                REVIEW,
                ARRANGEMENT_TABLE,
            )
        ).all()
        updates, events, touched = [], [], {}
        for review_id, due_on, reference in batch:
            until = (due_on - day).days
            rung = min(r for r in rungs if r >= until)
            updates.append({"review_id": review_id, "rung": rung})
            events.append(
                ReviewReminderDue(
                    arrangement=reference, due_on=due_on.isoformat(), days_before=rung
                )
            )
            touched[reference] = rung
            report.add(reference, f"reminded: due in {until} days", f"due {due_on.isoformat()}")
        if batch:
            uow.session.execute(
                update(REVIEW)
                .where(REVIEW.c.id == bindparam("review_id"))
                .values(reminded_rung=bindparam("rung")),
                updates,
            )
            record_batch(uow, "review.remind", "review-sweep", as_of, {"reminded": touched}, events)
        return len(batch)

    return in_batches(session, actor=actor, now=now, action="review.remind", report=report, act=act)


def open_due_reviews(
    session: Session, *, as_of: date, policy: ReviewPolicy, now: pendulum.DateTime, actor: str
) -> PhaseReport:
    """A review whose due date has come opens: the arrangement is under review (§31)."""
    report = PhaseReport("opened")
    opened_state = ARRANGEMENT.fire(ArrangementStatus.ACTIVE, "open_review")
    review_state = REVIEW_LIFECYCLE.fire(ReviewStatus.SCHEDULED, "open")

    def act(uow: UnitOfWork, claim: Claim) -> int:
        batch = uow.session.exec(
            claim(
                select(
                    Review.id, col(Review.due_on), col(Arrangement.id), col(Arrangement.reference)
                )
                .join(Arrangement, col(Arrangement.id) == col(Review.arrangement_id))
                .where(Review.status == ReviewStatus.SCHEDULED)
                .where(Arrangement.status == ArrangementStatus.ACTIVE)
                .where(Review.due_on <= as_of)
                .order_by(col(Review.id))
                .limit(policy.batch_size),
                REVIEW,
                ARRANGEMENT_TABLE,
            )
        ).all()
        if not batch:
            return 0
        review_ids = [row[0] for row in batch]
        arrangement_ids = [row[2] for row in batch]
        uow.session.execute(
            update(REVIEW)
            .where(REVIEW.c.id.in_(review_ids))
            .values(status=review_state.value, opened_at=uow.now)
        )
        uow.session.execute(
            update(ARRANGEMENT_TABLE)
            .where(ARRANGEMENT_TABLE.c.id.in_(arrangement_ids))
            .where(ARRANGEMENT_TABLE.c.status == ArrangementStatus.ACTIVE.value)
            .values(status=opened_state.value, updated_at=uow.now)
        )
        events = [
            ReviewOpened(
                arrangement=ref,
                due_on=due.isoformat(),
                lapses_on=(due + timedelta(days=policy.lapse_after_days)).isoformat(),
            )
            for _, due, _, ref in batch
        ]
        for _, due, _, ref in batch:
            report.add(ref, "review opened", f"due {due.isoformat()}")
        record_batch(
            uow,
            "arrangement.open_review",
            "review-sweep",
            as_of,
            {"status": opened_state, "opened": {ref: due for _, due, _, ref in batch}},
            events,
        )
        return len(batch)

    return in_batches(
        session, actor=actor, now=now, action="arrangement.open_review", report=report, act=act
    )


def escalate_overdue_reviews(
    session: Session, *, as_of: date, policy: ReviewPolicy, now: pendulum.DateTime, actor: str
) -> PhaseReport:
    """Overdue: tell the parties' signatories; later the chairs; at the lapse period, lapse it.
    A lapse cannot be undone, so it waits for the clock as well as `as_of`: a rehearsal of a
    later day sends that day's notices and reports the lapses it held back."""
    report = PhaseReport("overdue")
    day = pendulum.Date(as_of.year, as_of.month, as_of.day)
    chairs_from = day.subtract(days=policy.escalate_to_chairs_after_days)
    lapse_from = min(day, local_date(now)).subtract(days=policy.lapse_after_days)
    lapsed_state = ARRANGEMENT.fire(ArrangementStatus.UNDER_REVIEW, "lapse")
    cancelled = REVIEW_LIFECYCLE.fire(ReviewStatus.OPEN, "cancel")

    def overdue(*columns: Any) -> Any:
        return (
            sa_select(*columns)
            .join(Arrangement, col(Arrangement.id) == col(Review.arrangement_id))
            .where(col(Review.status) == ReviewStatus.OPEN)
            .where(col(Arrangement.status) == ArrangementStatus.UNDER_REVIEW)
            .where(col(Review.due_on) < day)
        )

    def act(uow: UnitOfWork, claim: Claim) -> int:
        batch = uow.session.execute(
            claim(
                overdue(
                    col(Review.id),
                    col(Review.due_on),
                    col(Review.escalation),
                    col(Arrangement.id),
                    col(Arrangement.reference),
                )
                .where(
                    or_(
                        col(Review.escalation) < 1,
                        and_(col(Review.escalation) < 2, col(Review.due_on) <= chairs_from),
                        col(Review.due_on) <= lapse_from,
                    )
                )
                .order_by(col(Review.id))
                .limit(policy.batch_size),
                REVIEW,
                ARRANGEMENT_TABLE,
            )
        ).all()
        if not batch:
            return 0
        escalations: list[dict[str, int]] = []
        lapsing: list[tuple[int, int]] = []
        events: list[DomainEvent] = []
        touched: dict[str, str] = {}
        for review_id, due_on, _level, arrangement_id, ref in batch:
            due = pendulum.Date(due_on.year, due_on.month, due_on.day)
            late = days_overdue(due, day)
            lapses_on = due.add(days=policy.lapse_after_days).isoformat()
            if due <= lapse_from:
                lapsing.append((review_id, arrangement_id))
                events.append(ArrangementLapsed(arrangement=ref, due_on=due.isoformat()))
                touched[ref] = "lapsed"
                report.add(ref, "lapsed", f"review {late} days overdue")
            elif due <= chairs_from:
                escalations.append({"review_id": review_id, "level": 2})
                events.append(
                    ReviewEscalated(arrangement=ref, due_on=due.isoformat(), lapses_on=lapses_on)
                )
                touched[ref] = "escalated to the chairs"
                report.add(ref, "escalated to the chairs", f"review {late} days overdue")
            else:
                escalations.append({"review_id": review_id, "level": 1})
                events.append(
                    ReviewOverdue(arrangement=ref, due_on=due.isoformat(), lapses_on=lapses_on)
                )
                touched[ref] = "overdue: signatories told"
                report.add(ref, "overdue: signatories told", f"review {late} days overdue")
        if escalations:
            uow.session.execute(
                update(REVIEW)
                .where(REVIEW.c.id == bindparam("review_id"))
                .values(escalation=bindparam("level")),
                escalations,
            )
        if lapsing:
            uow.session.execute(
                update(REVIEW)
                .where(REVIEW.c.id.in_([r for r, _ in lapsing]))
                .values(status=cancelled.value, escalation=2)
            )
            uow.session.execute(
                update(ARRANGEMENT_TABLE)
                .where(ARRANGEMENT_TABLE.c.id.in_([a for _, a in lapsing]))
                .values(status=lapsed_state.value, updated_at=uow.now, ended_at=uow.now)
            )
        record_batch(uow, "review.escalate", "review-sweep", as_of, {"overdue": touched}, events)
        return len(batch)

    in_batches(session, actor=actor, now=now, action="review.escalate", report=report, act=act)
    rehearsed_lapse_from = day.subtract(days=policy.lapse_after_days)
    if rehearsed_lapse_from > lapse_from:
        for ref, due_on in session.execute(
            overdue(col(Arrangement.reference), col(Review.due_on))
            .where(col(Review.due_on) <= rehearsed_lapse_from)
            .order_by(col(Review.id))
        ).all():
            lapses_on = pendulum.Date(due_on.year, due_on.month, due_on.day).add(
                days=policy.lapse_after_days
            )
            report.hold(ref, "lapse", f"lapses {lapses_on.isoformat()}")
        session.rollback()
    return report


def sweep_reviews(
    session: Session, *, as_of: date, policy: ReviewPolicy, now: pendulum.DateTime, actor: str
) -> list[PhaseReport]:
    """Every phase of the daily review sweep, in the order an officer would work through them."""
    return [
        chase_approvals(session, as_of=as_of, now=now, actor=actor, batch_size=policy.batch_size),
        remind_upcoming_reviews(session, as_of=as_of, policy=policy, now=now, actor=actor),
        open_due_reviews(session, as_of=as_of, policy=policy, now=now, actor=actor),
        escalate_overdue_reviews(session, as_of=as_of, policy=policy, now=now, actor=actor),
    ]
