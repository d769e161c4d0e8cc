"""A data subject's withdrawal of consent (§9, §18), from the moment it is recorded.

Started by: the `isa.consent.raised` event that recording it publishes (through the event
outbox; a trigger in prefect.yaml), or the Prefect UI's run form.
Writes: nothing when first started (recording it already created each partner's notice to
cease processing and queued their emails in the same transaction, so it holds even if Prefect is
down); on a later run, whatever chasing the day owes its unacknowledged notices (the daily
deadline sweep does the same for every withdrawal). Sends the emails, and publishes the
withdrawal's story (who was told, who has ceased) as an artifact.
"""

from datetime import date
from typing import Any

from prefect import flow, get_run_logger

from flows.artifacts import publish_table
from flows.naming import about
from tasks.flow_tasks import chase_consent, deliver_emails, read_consent, resolve_as_of


@flow(name="consent", flow_run_name=about("consent", "consent"))
def consent_flow(consent: str, as_of: date | None = None) -> dict[str, Any]:
    """Chase what the day owes the withdrawal's notices, send the emails, publish its story."""
    reference = consent.strip().upper()
    day = resolve_as_of(as_of)
    story = read_consent(reference)
    chased = chase_consent(reference, day)
    delivery = deliver_emails()
    story = read_consent(reference)
    rows = story.table()
    rows += [
        {"notice": done["reference"], "partner": done["detail"], "state": done["action"]}
        for done in chased
    ]
    publish_table(
        key=f"consent-{reference.lower()}",
        table=rows,
        description=f"Consent withdrawal {reference} on {day.isoformat()}: {story.summary()}",
    )
    get_run_logger().info(story.summary())
    return {"closed": story.closed, "chased": chased, "delivery": delivery}
