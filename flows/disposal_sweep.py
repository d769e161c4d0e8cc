"""Disposal of shared data (§9, §35-§37).

Started by: the daily schedule at 06:45 Europe/London and the `isa.arrangement.ended` event that
`isa review complete --outcome terminate` and `isa withdraw` emit (both in prefect.yaml, the
`disposal-sweep` deployment), the Prefect UI's run form, or `isa sweep disposal [--as-of DATE]`.
Writes: a disposal task per recipient agency of every ended arrangement, the reminders and
escalations owed, their audit events and emails, and a table artifact of what it did.
"""

from datetime import date
from typing import Any

from prefect import flow

from flows.naming import dated
from flows.reporting import publish_sweep
from models.policies import DisposalPolicy
from tasks.flow_tasks import deliver_emails, resolve_as_of, sweep_disposals

# the form's defaults are the policy's, declared once there
DEFAULT = DisposalPolicy()


@flow(name="disposal-sweep", flow_run_name=dated("disposal-sweep"))
def disposal_sweep(
    as_of: date | None = None,
    reminder_days: list[int] = list(DEFAULT.reminder_days),  # noqa: B006  (shown in the form)
    escalate_to_chairs_after_days: int = DEFAULT.escalate_to_chairs_after_days,
    batch_size: int = DEFAULT.batch_size,
) -> dict[str, Any]:
    """Schedule the destruction of what ended, remind what is coming due, escalate the overdue,
    then send the emails."""
    day = resolve_as_of(as_of)
    policy = DisposalPolicy(
        reminder_days=tuple(reminder_days),
        escalate_to_chairs_after_days=escalate_to_chairs_after_days,
        batch_size=batch_size,
    )
    phases = sweep_disposals(day, policy)
    delivery = deliver_emails()
    return publish_sweep("disposal-sweep", day, phases, delivery)
