"""A partner agency's 30-day suspension (§41), from the moment it is raised to its end.

Started by: the `isa.suspension.raised` event that `isa suspend` emits (a trigger in
prefect.yaml), its own checker runs on days 7, 14, 25 and 30, the daily deadline sweep for a
suspension raised while the server was down, or the Prefect UI's run form.
Writes: nothing when first started but the mark that it ran (`isa suspend` already suspended the
agency, its arrangements and their access, and queued the notices in the same transaction, so
the suspension holds even if Prefect is down); then whatever the day owes: the chairs reminded
on day 7 if no meeting is set, every signatory and the chairs told on day 14 if none was held,
notice on day 25, and on day 30 the end, with everything resumed. Sends the emails, and
publishes the suspension's timeline as an artifact.
"""

from datetime import date
from typing import Any

import pendulum
from prefect import flow, task
from prefect.artifacts import create_table_artifact

from flows.checks import Check, at_local, schedule_runs
from flows.naming import about
from models.clocks import LONDON, SUSPENSION_DAYS, local_date
from models.enums import SuspensionStatus
from tasks import runtime
from tasks.flow_tasks import check_suspension_deadlines, deliver_emails, start_matter
from tasks.lookup import suspension_by_ref
from tasks.runtime import resolve_as_of
from tasks.suspensions import END_NOTICE_DAY, ESCALATE_DAY, REMIND_CHAIRS_DAY

CHECK_HOUR = 9  # the day 7, 14 and 25 checks run at 09:00 London; the day 30 one at the end
MORNING_CHECKS = (REMIND_CHAIRS_DAY, ESCALATE_DAY, END_NOTICE_DAY)


@task
def schedule_suspension_checks(suspension: str) -> list[str]:
    """Schedule this flow for days 7, 14 and 25 (09:00 London) and for the exact end; a check
    whose time has passed is left to this run and the deadline sweep."""
    with runtime.session() as session:
        matter = suspension_by_ref(session, suspension)
        if matter.status == SuspensionStatus.ENDED:
            return []
        raised_on = local_date(pendulum.instance(matter.raised_at))
        ends_at = pendulum.instance(matter.ends_at)
    times = {day: at_local(raised_on.add(days=day), CHECK_HOUR) for day in MORNING_CHECKS}
    times[SUSPENSION_DAYS] = ends_at.in_timezone(LONDON)
    now = runtime.now()
    checks = [
        Check(
            label=f"day {day}",
            at=at,
            parameters={
                "suspension": suspension,
                "as_of": local_date(at).isoformat(),
                "schedule_checks": False,
            },
            key=f"suspension-{suspension}-day{day}",
        )
        for day, at in times.items()
        if at > now
    ]
    return schedule_runs(
        "suspension/suspension", suspension, checks, f"the daily deadline sweep checks {suspension}"
    )


def _publish(suspension: str, day: date, done: list[str], checks: list[str]) -> None:
    with runtime.session() as session:
        matter = suspension_by_ref(session, suspension)
        status = matter.status.value
        raised = pendulum.instance(matter.raised_at).in_timezone(LONDON)
        deadline = local_date(pendulum.instance(matter.meeting_deadline))
        ends = pendulum.instance(matter.ends_at).in_timezone(LONDON)
    rows = [
        {"when": raised.to_datetime_string(), "what": "raised", "status": ""},
        {"when": deadline.isoformat(), "what": "resolution meeting due by (§41)", "status": ""},
        {"when": ends.to_datetime_string(), "what": "ends (30 days)", "status": ""},
    ]
    rows += [{"when": day.isoformat(), "what": what, "status": "done"} for what in done]
    rows += [{"when": check, "what": "checker run", "status": "scheduled"} for check in checks]
    create_table_artifact(
        key=f"suspension-{suspension.lower()}",
        table=rows,
        description=f"Suspension {suspension} on {day.isoformat()}: {status}",
    )


@flow(name="suspension", flow_run_name=about("suspension", "suspension"))
def suspension_flow(
    suspension: str, as_of: date | None = None, schedule_checks: bool = True
) -> dict[str, Any]:
    """Act on what the day owes the suspension, schedule its checker runs when it has just been
    raised, send the emails, and publish its timeline."""
    reference = suspension.strip().upper()
    day = resolve_as_of(as_of)
    first = start_matter("suspension", reference)
    done = check_suspension_deadlines(reference, day)
    checks = schedule_suspension_checks(reference) if schedule_checks else []
    delivery = deliver_emails()
    _publish(reference, day, done, checks)
    return {"first_run": first, "done": done, "checks": checks, "delivery": delivery}
