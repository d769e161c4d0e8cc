"""One matter that waits on a partner, from the moment it is raised until it is settled: a data
subject's withdrawal of consent (§9, §18), data found inaccurate (§33), a request to share data
onward (§11, §15), an information request and its consultations (§7). Each is declared once in
models/duties.py (MATTERS); every one of their deployments runs this flow.

Started by: the `isa.<duty>.raised` event that raising it publishes (through the event outbox; a
trigger in prefect.yaml), `isa.<duty>.settled` when it is settled, its own checker runs at each
rung of its ladder, or the Prefect UI's run form.
Writes: nothing when first started (raising it already queued its emails in the same
transaction, so it holds even if Prefect is down); then whatever chasing the day owes its duties,
each rung once, as the daily deadline sweep does for every matter (the safety net). Schedules a
checker run at each rung still to come while it waits, and cancels those still scheduled once it
is settled, saying why. Sends the emails, and publishes the matter's story as an artifact.
"""

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run

from flows.artifacts import publish_table
from flows.checks import cancel_checks, coming_checks, schedule_runs
from models.duties import MATTERS
from tasks.flow_tasks import (
    DutyStory,
    chase_one_matter,
    deliver_emails,
    read_matter,
    resolve_as_of,
)


def deployment_of(duty: str) -> str:
    """The deployment that runs matters of this kind: `matter/data-quality`."""
    return f"matter/{MATTERS[duty].deployment}"


def run_name() -> str:
    """`quality-DQN-2026-0001-2026-11-25`: what ran, about which matter, for which day."""
    parameters = flow_run.parameters or {}
    reference = str(parameters.get("reference", "")).strip().upper()
    return f"{parameters.get('duty')}-{reference}-{resolve_as_of(parameters.get('as_of'))}"


@task
def schedule_matter_checks(story: DutyStory) -> list[str]:
    """Schedule this flow at each rung still to come of the matter's duties (one run a moment,
    named for its rung: `quality-DQN-2026-0001-day-5-check`); a rung whose time has passed is
    left to this run and the deadline sweep."""
    checks = coming_checks(
        story.matter,
        story.reference,
        story.checks_to_come(),
        duty=story.matter,
        reference=story.reference,
    )
    return schedule_runs(
        deployment_of(story.matter),
        story.reference,
        checks,
        f"the daily deadline sweep chases {story.reference}",
        prefix=story.matter,
    )


@task
def cancel_matter_checks(story: DutyStory) -> list[str]:
    """A settled matter's checker runs have nothing left to chase: cancelled, saying why."""
    why = f"{story.reference} is settled: nothing left to check"
    return cancel_checks(deployment_of(story.matter), "reference", story.reference, why)


@flow(name="matter", flow_run_name=run_name)
def matter(
    duty: str, reference: str, as_of: date | None = None, schedule_checks: bool = True
) -> dict[str, Any]:
    """Chase what the day owes the matter's duties, schedule its checker runs while it waits or
    cancel them once it is settled, send the emails, and publish its story."""
    if duty not in MATTERS:
        raise ValueError(f"not a kind of matter: {duty!r} (one of {', '.join(MATTERS)})")
    reference = reference.strip().upper()
    day = resolve_as_of(as_of)
    # an unknown reference fails here, before anything is chased
    read_matter(duty, reference)
    chased = chase_one_matter(duty, reference, day)
    story = read_matter(duty, reference)
    checks = schedule_matter_checks(story) if schedule_checks and not story.settled else []
    cancelled = cancel_matter_checks(story) if story.settled else []
    delivery = deliver_emails()
    rows = story.table()
    rows += [
        {"reference": done["reference"], "owed by": done["detail"], "state": done["action"]}
        for done in chased
    ]
    rows += [{"reference": "", "owed by": "", "state": f"checker run {c}"} for c in checks]
    rows += [
        {"reference": "", "owed by": "", "state": f"checker run cancelled: {name}"}
        for name in cancelled
    ]
    subject = MATTERS[duty].subject_type.replace("_", " ").capitalize()
    publish_table(
        key=f"{duty}-{reference.lower()}",
        table=rows,
        description=f"{subject} {reference} on {day.isoformat()}: {story.summary()}",
    )
    get_run_logger().info(story.summary())
    return {
        "settled": story.settled,
        "chased": chased,
        "checks": checks,
        "cancelled": cancelled,
        "delivery": delivery,
    }
