"""A partner agency's 30-day suspension (§41), from the moment it is raised to its end.

Started by: the `isa.suspension.raised` event that raising it publishes (through the event
outbox; a trigger in prefect.yaml), `isa.suspension.changed` when its meeting is set, moved or
held (from the command line or the portal: its artifact follows every change),
`isa.suspension.settled` when it ends or is resumed, its own
checker runs on days 7, 14, 25 and 30, or the Prefect UI's run form.
Writes: nothing when first started (raising it already suspended the agency, its arrangements
and their access, and queued the notices in the same transaction, so the suspension holds even
if Prefect is down); then whatever the day owes: the chairs reminded on day 7 if no meeting is
set, every signatory and the chairs told on day 14 if none was held, notice on day 25, and on
day 30 the end, with everything resumed. Once it is settled, cancels its checker runs still
scheduled. Sends the emails, and publishes the suspension's story as an artifact.
"""

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task

from flows.artifacts import publish_table
from flows.checks import cancel_checks, coming_checks, schedule_runs
from flows.naming import about
from tasks.flow_tasks import (
    MatterStory,
    check_suspension_deadlines,
    deliver_emails,
    read_suspension,
    resolve_as_of,
)

DEPLOYMENT = "suspension/suspension"


@task
def schedule_suspension_checks(story: MatterStory) -> list[str]:
    """Schedule this flow for days 7, 14 and 25 (09:00 London) and for the exact end; a check
    whose time has passed is left to this run and the deadline sweep."""
    checks = coming_checks(
        "suspension", story.reference, story.checks_to_come(), suspension=story.reference
    )
    return schedule_runs(
        DEPLOYMENT, story.reference, checks, f"the daily deadline sweep checks {story.reference}"
    )


@task
def cancel_suspension_checks(story: MatterStory) -> list[str]:
    """A settled suspension's checker runs have nothing left to check: cancelled, saying why."""
    why = f"{story.reference} is settled ({story.status}): nothing left to check"
    return cancel_checks(DEPLOYMENT, "suspension", story.reference, why)


@flow(name="suspension", flow_run_name=about("suspension", "suspension"))
def suspension_flow(
    suspension: str, as_of: date | None = None, schedule_checks: bool = True
) -> dict[str, Any]:
    """Act on what the day owes the suspension, schedule its checker runs while it is open or
    cancel them once it is settled, send the emails, and publish its story."""
    reference = suspension.strip().upper()
    day = resolve_as_of(as_of)
    done = check_suspension_deadlines(reference, day)
    story = read_suspension(reference)
    checks = schedule_suspension_checks(story) if schedule_checks else []
    cancelled = cancel_suspension_checks(story) if story.settled else []
    delivery = deliver_emails()
    story = read_suspension(reference)
    rows = story.table()
    rows += [{"when": day.isoformat(), "what": what} for what in done]
    rows += [{"when": check, "what": "checker run scheduled"} for check in checks]
    rows += [{"when": "", "what": f"checker run cancelled: {name}"} for name in cancelled]
    publish_table(
        key=f"suspension-{reference.lower()}",
        table=rows,
        description=f"Suspension {reference} on {day.isoformat()}: {story.summary()}",
    )
    get_run_logger().info(story.summary())
    return {
        "status": story.status,
        "done": done,
        "checks": checks,
        "cancelled": cancelled,
        "delivery": delivery,
    }
