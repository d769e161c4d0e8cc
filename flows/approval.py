"""Approval of a submitted arrangement by every party's signatory (§2, §6).

Started by: the `isa.arrangement.submitted` event that `isa arrangement submit` emits (a trigger
in prefect.yaml), its own checks scheduled for day 7 and day 14, or the Prefect UI's run form.
Writes: the sign-off reminder (day 7) and escalation to the chairs (day 14) when sign-offs are
missing, and sends the approval requests queued at submission. The daily review sweep chases
the same deadlines, so nothing is missed while no runner is up.
"""

from datetime import date
from typing import Any

import pendulum
from prefect import flow, task
from sqlmodel import select

from flows.checks import Check, at_local, schedule_runs
from flows.naming import about
from models.clocks import local_date
from models.enums import ArrangementStatus
from models.tables import Arrangement
from tasks import runtime
from tasks.flow_tasks import chase_missing_sign_offs, deliver_emails
from tasks.runtime import resolve_as_of
from tasks.sweeps import APPROVAL_ESCALATION_DAY, APPROVAL_REMINDER_DAY

CHECK_HOUR = 9  # checks run at 09:00 London on day 7 and day 14


@task
def schedule_sign_off_checks(arrangement: str) -> list[str]:
    """Schedule this flow for day 7 and day 14 after submission, once per version: admins see
    them as upcoming runs; each does nothing if every signatory has approved by then."""
    with runtime.session() as session:
        isa = session.exec(select(Arrangement).where(Arrangement.reference == arrangement)).one()
        if isa.status != ArrangementStatus.AWAITING_APPROVAL or isa.submitted_at is None:
            return []
        submitted_on = local_date(pendulum.instance(isa.submitted_at))
        version = isa.version
    checks = [
        Check(
            label=f"day {day}",
            at=at_local(submitted_on.add(days=day), CHECK_HOUR),
            parameters={
                "arrangement": arrangement,
                "as_of": submitted_on.add(days=day).isoformat(),
                "schedule_checks": False,
            },
            key=f"approval-{arrangement}-v{version}-day{day}",
        )
        for day in (APPROVAL_REMINDER_DAY, APPROVAL_ESCALATION_DAY)
    ]
    return schedule_runs(
        "approval/approval", arrangement, checks, f"the daily review sweep chases {arrangement}"
    )


@flow(name="approval", flow_run_name=about("approval", "arrangement"))
def approval(
    arrangement: str, as_of: date | None = None, schedule_checks: bool = True
) -> dict[str, Any]:
    """Send the approval requests, chase sign-offs still missing at day 7 and day 14, and
    schedule those checks when the arrangement has just been submitted."""
    day = resolve_as_of(as_of)
    chased = chase_missing_sign_offs(day, 1, only=arrangement.strip().upper())
    checks = schedule_sign_off_checks(arrangement.strip().upper()) if schedule_checks else []
    delivery = deliver_emails()
    return {"chased": chased["acted"], "checks": checks, "delivery": delivery}
