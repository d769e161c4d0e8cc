"""Outbox delivery.

Started by: the every-minute schedule (`deliver-outbox` in prefect.yaml), the Prefect UI, or
`isa outbox deliver`. Writes: each due outbox row's status, attempts, SMTP reply and sent time.
"""

from typing import Any

from prefect import flow

from flows.naming import at_minute
from tasks.flow_tasks import deliver_emails


@flow(name="deliver-outbox", flow_run_name=at_minute("deliver-outbox"))
def deliver_outbox(limit: int | None = None) -> dict[str, Any]:
    """Send every email that is due, over one SMTP connection."""
    return deliver_emails(limit)
