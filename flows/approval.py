"""Approval of a submitted arrangement by every party's signatory (§2, §6).

Started by: the `isa.arrangement.submitted` event that submitting it publishes (through the
event outbox; a trigger in prefect.yaml), `isa.arrangement.approval_settled` when it is
activated, rejected or left by a party (to cancel its checks still scheduled), its own checks
scheduled for day 7 and day 14 (models.duties.APPROVAL_LADDER), or the Prefect UI's run form.
Writes: the sign-off reminder (day 7) and escalation to the chairs (day 14) when sign-offs are
missing, and sends the approval requests queued at submission. The daily review sweep chases
the same deadlines, so nothing is missed while no runner is up. The act that settles the
approval has its emails sent at once, as before (its event asks for a delivery run of its own:
notifications.catalog.Publish.delivers).
"""

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task

from flows.checks import Check, cancel_checks, schedule_runs
from flows.naming import about
from models.clocks import local_date
from models.duties import APPROVAL_LADDER, rung_times
from tasks.flow_tasks import (
    SignOffWait,
    chase_missing_sign_offs,
    deliver_emails,
    read_sign_off_wait,
    resolve_as_of,
)

DEPLOYMENT = "approval/approval"


@task
def schedule_sign_off_checks(wait: SignOffWait | None) -> list[str]:
    """Schedule this flow for day 7 and day 14 after submission, once per version: admins see
    them as upcoming runs; each does nothing if every signatory has approved by then."""
    if wait is None:
        return []
    checks = []
    for rung, at in rung_times(APPROVAL_LADDER, wait.submitted_on).items():
        day = APPROVAL_LADDER.amount(rung)
        checks.append(
            Check(
                label=f"day {day}",
                at=at,
                parameters={
                    "arrangement": wait.reference,
                    "as_of": local_date(at).isoformat(),
                    "schedule_checks": False,
                },
                key=f"approval-{wait.reference}-v{wait.version}-day{day}",
            )
        )
    return schedule_runs(
        DEPLOYMENT,
        wait.reference,
        checks,
        f"the daily review sweep chases {wait.reference}",
    )


@task
def cancel_sign_off_checks(arrangement: str) -> list[str]:
    """An arrangement no longer awaiting approval has no sign-off to chase: its checker runs
    still scheduled are cancelled, saying why, as a settled suspension's are."""
    why = f"{arrangement} is no longer awaiting approval: nothing left to check"
    return cancel_checks(DEPLOYMENT, "arrangement", arrangement, why)


@flow(name="approval", flow_run_name=about("approval", "arrangement"))
def approval(
    arrangement: str, as_of: date | None = None, schedule_checks: bool = True
) -> dict[str, Any]:
    """Send the approval requests, chase sign-offs still missing at day 7 and day 14, and
    schedule those checks when the arrangement has just been submitted, or cancel those left
    once its approval is settled."""
    reference = arrangement.strip().upper()
    day = resolve_as_of(as_of)
    chased = chase_missing_sign_offs(day, 1, only=reference)
    wait = read_sign_off_wait(reference) if schedule_checks else None
    checks = schedule_sign_off_checks(wait) if schedule_checks else []
    # settled (no longer awaiting approval): the checks of its wait have nothing left to do
    cancelled = cancel_sign_off_checks(reference) if schedule_checks and wait is None else []
    delivery = deliver_emails()
    get_run_logger().info(
        "Approval of %s on %s: %d sign-off chase(s) sent, %d check(s) scheduled, %d cancelled; "
        "emails sent %d",
        reference,
        day.isoformat(),
        len(chased["acted"]),
        len(checks),
        len(cancelled),
        delivery["sent"],
    )
    return {
        "chased": chased["acted"],
        "checks": checks,
        "cancelled": cancelled,
        "delivery": delivery,
    }
