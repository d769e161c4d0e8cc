"""Outbox delivery.

Started by: the every-minute schedule (`deliver-outbox` in prefect.yaml), the Prefect UI, or
`isa outbox deliver`. Writes: the Prefect events still owed published (the event outbox), then
each due email's status, attempts, SMTP reply and sent time.
"""

from typing import Any

from prefect import flow, get_run_logger

from flows.naming import at_minute
from tasks.flow_tasks import deliver_emails


@flow(name="deliver-outbox", flow_run_name=at_minute("deliver-outbox"))
def deliver_outbox(limit: int | None = None) -> dict[str, Any]:
    """Send every email that is due, over one SMTP connection. A relay that cannot be reached
    fails the run, so admins see the outage in the UI; the emails stay pending and due."""
    report = deliver_emails(limit)
    events = report["events"]
    get_run_logger().info(
        "Delivery: sent %d, to retry %d, failed %d; Prefect events published %d, waiting %d",
        report["sent"],
        report["retrying"],
        report["failed"],
        events["published"],
        events["left"],
    )
    if report["relay_error"]:
        raise RelayUnreachable(
            f"SMTP relay unreachable ({report['relay_error']}): {report['released']} emails "
            "stay pending and are sent when it returns"
        )
    return report


class RelayUnreachable(RuntimeError):
    """The SMTP relay could not be reached; nothing was lost."""
