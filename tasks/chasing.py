"""One rung of chasing a notice that waits on a partner (a withdrawn consent's notice to cease
processing, §9 and §18; data found inaccurate, §33): the rung recorded on the notice with its
audit event, the rung's email event emitted, and the sweep's report told. Which rung is owed is
`models.clocks.chase_rung`, in the partner's working days."""

from datetime import date
from typing import Any

from models.clocks import CHASE_CHAIRS_WORKING_DAYS, CHASE_REMINDER_WORKING_DAYS
from tasks.sweeps import PhaseReport
from tasks.uow import UnitOfWork

# the working days after the notice each rung comes, and what it did in the sweep's words
RUNG_DAYS = {
    1: CHASE_REMINDER_WORKING_DAYS[0],
    2: CHASE_REMINDER_WORKING_DAYS[1],
    3: CHASE_CHAIRS_WORKING_DAYS,
}
RUNG_WORDS = {1: "reminded", 2: "reminded: DPO told", 3: "escalated to the chairs"}


def chase(
    uow: UnitOfWork,
    held: Any,
    *,
    rung: int,
    as_of: date,
    action: str,
    subject_type: str,
    kinds: dict[int, Any],
    fields: dict[str, Any],
    report: PhaseReport,
) -> None:
    """Move notice `held` (its `chased` column) up to `rung`, audited as `action`, and emit
    `kinds[rung]` with `fields` and the rung's working days."""
    record_rung(uow, held, rung, action=action, subject_type=subject_type, as_of=as_of)
    uow.emit(kinds[rung](**fields, working_days=RUNG_DAYS[rung]))
    report.add(held.reference, RUNG_WORDS[rung], str(fields["agency"]))


def record_rung(
    uow: UnitOfWork,
    held: Any,
    rung: int,
    *,
    action: str,
    subject_type: str,
    column: str = "chased",
    **when: Any,
) -> None:
    """Move `held`'s rung `column` up to `rung` and audit it as `action`, with `when` (the day
    or the instant the chase was for) beside the new rung: every chase records its rung so."""
    before = getattr(held, column)
    setattr(held, column, rung)
    uow.session.add(held)
    uow.record(
        action,
        subject_type=subject_type,
        subject_ref=held.reference,
        before={column: before},
        after={column: rung, **when},
    )
