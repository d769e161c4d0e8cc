"""Approval of a submitted arrangement by every party's signatory (§2, §6).

Started by: the `isa.arrangement.submitted` event that submitting it publishes (through the
event outbox; a trigger in prefect.yaml), its own checks scheduled for day 7 and day 14, or the
Prefect UI's run form.
Writes: the sign-off reminder (day 7) and escalation to the chairs (day 14) when sign-offs are
missing, and sends the approval requests queued at submission. The daily review sweep chases
the same deadlines, so nothing is missed while no runner is up.
"""

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task

from flows.checks import Check, schedule_runs
from flows.naming import about
from models.clocks import check_time
from models.policies import APPROVAL_ESCALATION_DAY, APPROVAL_REMINDER_DAY
from tasks.flow_tasks import (
    SignOffWait,
    chase_missing_sign_offs,
    deliver_emails,
    read_sign_off_wait,
    resolve_as_of,
)


@task
def schedule_sign_off_checks(wait: SignOffWait | None) -> list[str]:
    """Schedule this flow for day 7 and day 14 after submission, once per version: admins see
    them as upcoming runs; each does nothing if every signatory has approved by then."""
    if wait is None:
        return []
    checks = [
        Check(
            label=f"day {day}",
            at=check_time(wait.submitted_on.add(days=day)),
            parameters={
                "arrangement": wait.reference,
                "as_of": wait.submitted_on.add(days=day).isoformat(),
                "schedule_checks": False,
            },
            key=f"approval-{wait.reference}-v{wait.version}-day{day}",
        )
        for day in (APPROVAL_REMINDER_DAY, APPROVAL_ESCALATION_DAY)
    ]
    return schedule_runs(
        "approval/approval",
        wait.reference,
        checks,
        f"the daily review sweep chases {wait.reference}",
    )


@flow(name="approval", flow_run_name=about("approval", "arrangement"))
def approval(
    arrangement: str, as_of: date | None = None, schedule_checks: bool = True
) -> dict[str, Any]:
    """Send the approval requests, chase sign-offs still missing at day 7 and day 14, and
    schedule those checks when the arrangement has just been submitted."""
    day = resolve_as_of(as_of)
    chased = chase_missing_sign_offs(day, 1, only=arrangement.strip().upper())
    wait = read_sign_off_wait(arrangement.strip().upper()) if schedule_checks else None
    checks = schedule_sign_off_checks(wait) if schedule_checks else []
    delivery = deliver_emails()
    get_run_logger().info(
        "Approval of %s on %s: %d sign-off chase(s) sent, %d check(s) scheduled; emails sent %d",
        arrangement.strip().upper(),
        day.isoformat(),
        len(chased["acted"]),
        len(checks),
        delivery["sent"],
    )
    return {"chased": chased["acted"], "checks": checks, "delivery": delivery}
