"""An arrangement's reviews (§31): scheduled at its interval, completed with an outcome that
renews it, begins an amendment or terminates it; and termination itself, which cancels the
reviews still to come."""

import pendulum
from sqlmodel import Session, col, select

from models.clocks import local_date, next_review_due, review_is_open, review_opens_on
from models.enums import ArrangementStatus, ReviewOutcome, ReviewStatus
from models.errors import InvalidInput, Refused
from models.events import (
    ArrangementAmendmentStarted,
    ArrangementRenewed,
    ArrangementTerminated,
    DomainEvent,
    ReviewCompleted,
)
from models.lifecycles import AMENDMENT, REVIEW
from models.tables import Arrangement, Review
from tasks.protocol.arrangements import (
    amending,
    content_of,
    move_amendment,
    party_officer_acting,
    transition,
)
from tasks.uow import UnitOfWork, unit_of_work


def schedule_review(session: Session, arrangement: Arrangement, due_on: pendulum.Date) -> None:
    assert arrangement.id is not None
    arrangement.next_review_due = due_on
    session.add(Review(arrangement_id=arrangement.id, due_on=due_on))


def cancel_open_reviews(
    uow: UnitOfWork, arrangement: Arrangement, *, keep: pendulum.Date | None = None
) -> None:
    """Cancel the arrangement's reviews still scheduled or open (but the one due on `keep`)."""
    to_come = (
        select(Review)
        .where(Review.arrangement_id == arrangement.id)
        .where(col(Review.status).in_([ReviewStatus.SCHEDULED, ReviewStatus.OPEN]))
    )
    if keep is not None:
        to_come = to_come.where(Review.due_on != keep)
    for review in uow.session.exec(to_come).all():
        review_transition(uow, review, "cancel", arrangement.reference)


def current_review(session: Session, arrangement: Arrangement) -> Review | None:
    return session.exec(
        select(Review)
        .where(Review.arrangement_id == arrangement.id)
        .where(col(Review.status).in_([ReviewStatus.SCHEDULED, ReviewStatus.OPEN]))
        .order_by(col(Review.due_on))
        .with_for_update()
    ).first()


def review_transition(uow: UnitOfWork, review: Review, event: str, ref: str) -> None:
    uow.move(
        review,
        REVIEW,
        event,
        action=f"review.{event}",
        subject_type="review",
        subject_ref=f"{ref}@{review.due_on}",
        named=f"of {ref} due {review.due_on}",
        before={"status": review.status, "due_on": review.due_on},
        outcome=review.outcome,
    )


def terminate(uow: UnitOfWork, arrangement: Arrangement, reason: str) -> None:
    """End an arrangement: no more sharing; reviews still scheduled are cancelled."""
    arrangement.ended_at = uow.now
    transition(uow, arrangement, "terminate", reason=reason)
    if amending(arrangement):
        move_amendment(uow, arrangement, "abandon", reason=reason)
    cancel_open_reviews(uow, arrangement)
    uow.emit(ArrangementTerminated(arrangement=arrangement.reference, reason=reason))


def complete_review(
    session: Session,
    *,
    reference: str,
    outcome: ReviewOutcome,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """Record a review's outcome (§31): renew to the next due date, amend, or terminate."""
    with unit_of_work(session, actor=actor, now=now, action="review.complete") as uow:
        uow.about("arrangement", reference)
        arrangement, who = party_officer_acting(session, reference, actor, "review")
        review = current_review(session, arrangement)
        if review is None or arrangement.status not in (
            ArrangementStatus.ACTIVE,
            ArrangementStatus.UNDER_REVIEW,
        ):
            raise Refused(
                f"cannot complete a review of {arrangement.reference}: it is "
                f"{arrangement.status.value.replace('_', ' ')}"
            )
        if arrangement.status == ArrangementStatus.ACTIVE:
            # Reviewed ahead of its due date: allowed only once its reminders have begun (the
            # review window); it then passes through under_review all the same.
            due = pendulum.Date(review.due_on.year, review.due_on.month, review.due_on.day)
            if not review_is_open(due, local_date(now)):
                raise Refused(
                    f"no review of {arrangement.reference} is open: it falls due on "
                    f"{due.format('D MMMM YYYY')} and opens for early completion on "
                    f"{review_opens_on(due).format('D MMMM YYYY')}"
                )
            transition(uow, arrangement, "open_review")
        review.outcome = outcome
        review.completed_at = now
        review.completed_by = who.email
        review_transition(uow, review, "complete", arrangement.reference)
        next_due: pendulum.Date | None = None
        if outcome != ReviewOutcome.TERMINATE:
            # renewed, or amended: in force under its last approved version, reviewed on that
            # version's cycle, while the amendment (already begun, or begun now from what is in
            # force) is agreed
            next_due = next_review_due(
                pendulum.Date(review.due_on.year, review.due_on.month, review.due_on.day),
                arrangement.review_interval_months,
                local_date(now),
            )
            schedule_review(session, arrangement, next_due)
        if outcome == ReviewOutcome.RENEW:
            assert next_due is not None
            transition(uow, arrangement, "renew")
            uow.emit(
                ArrangementRenewed(
                    arrangement=arrangement.reference, next_review_due=next_due.isoformat()
                )
            )
        elif outcome == ReviewOutcome.AMEND:
            if not amending(arrangement):
                arrangement.version += 1
                arrangement.amendment_draft = content_of(session, arrangement)
                arrangement.amendment = AMENDMENT.initial
                uow.record(
                    "amendment.begin",
                    subject_type="arrangement",
                    subject_ref=arrangement.reference,
                    after={"amendment": arrangement.amendment, "version": arrangement.version},
                )
            transition(uow, arrangement, "amend")
            uow.emit(
                ArrangementAmendmentStarted(
                    arrangement=arrangement.reference, version=arrangement.version
                )
            )
        else:
            terminate(uow, arrangement, f"review of {review.due_on} decided to terminate")
        uow.emit(
            ReviewCompleted(
                arrangement=arrangement.reference,
                outcome=outcome.value,
                due_on=review.due_on.isoformat(),
                next_review_due=next_due.isoformat() if next_due else None,
            )
        )
        return uow.events


def parse_outcome(value: str) -> ReviewOutcome:
    try:
        return ReviewOutcome(value)
    except ValueError:
        raise InvalidInput(
            f"{{outcome}} must be renew, amend or terminate, not {value!r}",
            inputs={"outcome": "the outcome"},
        ) from None
