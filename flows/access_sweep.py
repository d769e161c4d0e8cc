"""Daily access sweep: need-to-know access ends when the need ends (§10, §12).

Started by: the daily schedule at 06:30 Europe/London (`access-sweep` in prefect.yaml), the
Prefect UI's run form, or `isa sweep access [--as-of DATE]`.
Writes: each revoked grant with its reason, the attestation and training reminders sent, their
audit events and emails, and a table artifact of what it found and did.
"""

from datetime import date
from typing import Any

from prefect import flow

from flows.naming import dated
from flows.reporting import publish_sweep
from models.policies import AccessPolicy
from tasks.flow_tasks import deliver_emails, resolve_as_of, sweep_access

# the form's defaults are the policy's, declared once there
DEFAULT = AccessPolicy()


@flow(name="access-sweep", flow_run_name=dated("access-sweep"))
def access_sweep(
    as_of: date | None = None,
    attest_every_months: int = DEFAULT.attest_every_months,
    attestation_reminder_days: int = DEFAULT.attestation_reminder_days,
    attestation_grace_days: int = DEFAULT.attestation_grace_days,
    training_reminder_days: int = DEFAULT.training_reminder_days,
    batch_size: int = DEFAULT.batch_size,
) -> dict[str, Any]:
    """Revoke access that is no longer needed, remind what is coming due, send the emails."""
    day = resolve_as_of(as_of)
    policy = AccessPolicy(
        attest_every_months=attest_every_months,
        attestation_reminder_days=attestation_reminder_days,
        attestation_grace_days=attestation_grace_days,
        training_reminder_days=training_reminder_days,
        batch_size=batch_size,
    )
    phases = sweep_access(day, policy)
    delivery = deliver_emails()
    return publish_sweep("access-sweep", day, phases, delivery)
