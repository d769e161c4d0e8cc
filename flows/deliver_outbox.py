"""Outbox delivery.

Started by: the `isa.outbox.queued` event a change committed outside a flow run publishes when
it queued emails and starts no flow (a flow sends its own in its last task), the schedule every
15 minutes (the safety net: retries that fell due, events left over while the server was down),
the Prefect UI, or `isa outbox deliver`. Writes: the Prefect events still owed published (the event
outbox), then each due email's status, attempts, SMTP reply and sent time.
"""

from typing import Any

from prefect import flow, get_run_logger, task

from flows.naming import at_minute, delivery_outcome, name_after, name_upcoming_runs
from tasks.flow_tasks import deliver_emails


@task
def name_upcoming() -> int:
    """Name the runs the server's scheduler created since (they come with generated names). A
    name is for people: failing to give one is logged, and fails no delivery."""
    try:
        return name_upcoming_runs()
    except Exception as exc:  # the API busy or down: the next delivery run names them
        get_run_logger().warning("Upcoming runs not named this time: %s", exc)
        return 0


@task
def name_for_what_it_did(report: dict[str, Any]) -> str | None:
    """Rename this run for what it did, so runs of one minute are told apart in the UI
    (`deliver-outbox-2026-12-07T13:20-sent-3-1a2b3c`). Failing to is logged, and fails nothing."""
    try:
        return name_after(RUN_NAME(), delivery_outcome(report))
    except Exception as exc:
        get_run_logger().warning("This run keeps its first name: %s", exc)
        return None


RUN_NAME = at_minute("deliver-outbox")


@flow(name="deliver-outbox", flow_run_name=RUN_NAME)
def deliver_outbox(limit: int | None = None, settle_seconds: float = 0.0) -> dict[str, Any]:
    """Send every email that is due, over one SMTP connection. A relay that cannot be reached
    fails the run, so admins see the outage in the UI; the emails stay pending and due. With
    `settle_seconds` (the trigger's), keep sending what is queued for that long."""
    report = deliver_emails(limit, settle_seconds)
    name_upcoming()
    name_for_what_it_did(report)
    events = report["events"]
    if not (report["claimed"] or events["published"] or events["left"]):
        get_run_logger().info("Nothing was due: no email to send, no Prefect event owed")
        return report
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
