"""Annual monitoring group review (§40).

Started by: the yearly schedule (`monitoring-review` in prefect.yaml, 1 April 08:00 London), the
Prefect UI's run form (any period end), or on demand with `isa sweep monitoring`.
Writes: an audit event, a markdown artifact of the register summary, and one email to each
member of the group (every partner agency's point of contact, §40) and each chair.
"""

from datetime import date
from typing import Any

from prefect import flow, get_run_logger

from flows.artifacts import publish_markdown
from flows.naming import dated
from tasks.flow_tasks import deliver_emails, resolve_as_of, summarise_the_year


@flow(name="monitoring-review", flow_run_name=dated("monitoring-review"))
def monitoring_review(as_of: date | None = None) -> dict[str, Any]:
    """Summarise the year to `as_of` for the monitoring group, publish it and email the group's
    members and chairs."""
    day = resolve_as_of(as_of)
    summary = summarise_the_year(day)
    publish_markdown(
        key="monitoring-review",
        markdown=summary["markdown"],
        description=f"Register summary for the monitoring group, year to {day.isoformat()}",
    )
    summary["delivery"] = deliver_emails()
    get_run_logger().info(
        "Register summary for the monitoring group, year to %s; emails sent %d",
        day.isoformat(),
        summary["delivery"]["sent"],
    )
    return summary
