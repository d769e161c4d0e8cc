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
from prefect import flow, get_run_logger, task
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from sqlmodel import select

from flows.naming import about
from models.clocks import LONDON, local_date
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
    scheduled: list[str] = []
    for day in (APPROVAL_REMINDER_DAY, APPROVAL_ESCALATION_DAY):
        check_on = submitted_on.add(days=day)
        at = pendulum.datetime(check_on.year, check_on.month, check_on.day, CHECK_HOUR, tz=LONDON)
        try:
            run = run_deployment(
                name="approval/approval",
                parameters={
                    "arrangement": arrangement,
                    "as_of": check_on.isoformat(),
                    "schedule_checks": False,
                },
                scheduled_time=at,
                idempotency_key=f"approval-{arrangement}-v{version}-day{day}",
                timeout=0,
                as_subflow=False,
            )
        except ObjectNotFound:
            get_run_logger().warning(
                "no approval deployment is served: the daily review sweep will chase %s",
                arrangement,
            )
            return scheduled
        scheduled.append(f"day {day}: {at.to_datetime_string()} London ({run.id})")  # type: ignore[union-attr]
    return scheduled


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
