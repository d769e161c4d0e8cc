"""A security incident compromising information received from a partner (§29), from the moment
it is recorded until the reporting agency's DPO decides on reporting it to the ICO.

Started by: the `isa.incident.raised` event that recording it publishes (through the event
outbox; a trigger in prefect.yaml), `isa.incident.decided` when the decision is recorded, its own
checker runs at 24, 48, 66 and 72 hours after awareness, or the Prefect UI's run form.
Writes: nothing when first started (recording it already queued the originator's notice and the
DPO's request in the same transaction, so it holds even if Prefect is down); then whatever the
hours since awareness owe an undecided incident, each rung once: the DPO reminded at 24, 48 and
66 hours, and at 72 the DPO, the reporting agency's signatories and the chairs told (the daily
deadline sweep does the same as the safety net), and an unacknowledged notice to the originator
chased in its working days. Schedules its checker runs while undecided and
cancels those still scheduled once decided. Sends the emails, and publishes the incident's story
as an artifact.
"""

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task

from flows.artifacts import publish_table
from flows.checks import cancel_checks, coming_checks, schedule_runs
from flows.naming import about
from tasks.flow_tasks import (
    IncidentStory,
    chase_incident,
    deliver_emails,
    read_incident,
    resolve_as_of,
)

DEPLOYMENT = "incident/incident"


@task
def schedule_incident_checks(story: IncidentStory) -> list[str]:
    """Schedule this flow at each hour of the 72-hour clock still to come (24, 48, 66, 72); one
    whose time has passed is left to this run and the deadline sweep."""
    checks = coming_checks(
        "incident", story.reference, story.checks_to_come(), incident=story.reference
    )
    return schedule_runs(
        DEPLOYMENT, story.reference, checks, f"the daily deadline sweep checks {story.reference}"
    )


@task
def cancel_incident_checks(story: IncidentStory) -> list[str]:
    """A decided incident's checker runs have nothing left to check: cancelled, saying why."""
    why = f"{story.reference} is decided: nothing left to check"
    return cancel_checks(DEPLOYMENT, "incident", story.reference, why)


@flow(name="incident", flow_run_name=about("incident", "incident"))
def incident_flow(
    incident: str, as_of: date | None = None, schedule_checks: bool = True
) -> dict[str, Any]:
    """Chase what the hours since awareness owe, schedule the checker runs while undecided or
    cancel them once decided, send the emails, and publish the incident's story."""
    reference = incident.strip().upper()
    day = resolve_as_of(as_of)
    # an unknown reference fails here, before anything is chased
    read_incident(reference)
    chased = chase_incident(reference, day)
    story = read_incident(reference)
    checks = schedule_incident_checks(story) if schedule_checks and not story.decided else []
    cancelled = cancel_incident_checks(story) if story.decided else []
    delivery = deliver_emails()
    rows = story.table()
    rows += [{"when": day.isoformat(), "what": done["action"]} for done in chased]
    rows += [{"when": check, "what": "checker run scheduled"} for check in checks]
    rows += [{"when": "", "what": f"checker run cancelled: {name}"} for name in cancelled]
    publish_table(
        key=f"incident-{reference.lower()}",
        table=rows,
        description=f"Security incident {reference} on {day.isoformat()}: {story.summary()}",
    )
    get_run_logger().info(story.summary())
    return {
        "decided": story.decided,
        "chased": chased,
        "checks": checks,
        "cancelled": cancelled,
        "delivery": delivery,
    }
