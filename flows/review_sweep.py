"""Periodic review sweep (§6, §31).

Started by: the daily schedule at 07:00 Europe/London (`review-sweep` in prefect.yaml), the
Prefect UI's run form, or `isa sweep reviews [--as-of DATE]`.
Writes: sign-off reminders and escalations; each review's reminder rung, opening, escalation and
lapse; their audit events and emails; a table artifact of what it found and did.
"""

from datetime import date
from typing import Any

from prefect import flow

from flows.naming import dated
from flows.reporting import publish_sweep
from models.policies import ReviewPolicy
from tasks.flow_tasks import (
    chase_missing_sign_offs,
    deliver_emails,
    escalate_reviews,
    open_reviews,
    remind_reviews,
    resolve_as_of,
)

# the form's defaults are the policy's, declared once there
DEFAULT = ReviewPolicy()


@flow(name="review-sweep", flow_run_name=dated("review-sweep"), log_prints=False)
def review_sweep(
    as_of: date | None = None,
    reminder_days: list[int] = list(DEFAULT.ladder),  # noqa: B006  (Prefect shows it in the form)
    escalate_to_chairs_after_days: int = DEFAULT.escalate_to_chairs_after_days,
    lapse_after_days: int = DEFAULT.lapse_after_days,
    batch_size: int = DEFAULT.batch_size,
) -> dict[str, Any]:
    """Chase missing sign-offs, remind before reviews fall due, open them when due, escalate
    the overdue and lapse the long overdue, then send the emails."""
    day = resolve_as_of(as_of)
    policy = ReviewPolicy(
        ladder=tuple(reminder_days),
        escalate_to_chairs_after_days=escalate_to_chairs_after_days,
        lapse_after_days=lapse_after_days,
        batch_size=batch_size,
    )
    phases = [
        chase_missing_sign_offs(day, batch_size),
        remind_reviews(day, policy),
        open_reviews(day, policy),
        escalate_reviews(day, policy),
    ]
    # a lapsed arrangement's `isa.arrangement.ended` goes out with the emails (the event
    # outbox): the disposal flow's trigger schedules the destruction of its data
    delivery = deliver_emails()
    return publish_sweep("review-sweep", day, phases, delivery)
