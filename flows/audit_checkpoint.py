"""The audit log's daily checkpoint (DESIGN §8): its head, signed and kept outside the database.

Started by: the daily schedule at 07:30 Europe/London (`audit-checkpoint` in prefect.yaml, after
the morning's sweeps), the Prefect UI's run form, or `isa audit checkpoint`.
Writes: an audit event recording the checkpoint, the checkpoint's file in ISA_CHECKPOINT_DIR,
a markdown artifact holding it (the key `audit-checkpoint` keeps its history in the UI), and an
email of it to each chair. `isa audit verify` then proves the log still extends it.
"""

from typing import Any

from prefect import flow, get_run_logger

from flows.artifacts import publish_markdown
from flows.naming import dated
from tasks.flow_tasks import deliver_emails, sign_the_audit_head


@flow(name="audit-checkpoint", flow_run_name=dated("audit-checkpoint"))
def audit_checkpoint() -> dict[str, Any]:
    """Sign the audit log's head, publish it as an artifact and email it to the chairs."""
    checkpoint = sign_the_audit_head()
    publish_markdown(
        key="audit-checkpoint",
        markdown=(
            f"# Audit log checkpoint: event #{checkpoint['seq']}\n\n"
            f"Signed {checkpoint['at']}; kept in `{checkpoint['file']}` and emailed to the "
            "chairs. Check the register against it with "
            "`isa audit verify --checkpoint FILE`.\n\n"
            f"```json\n{checkpoint['document']}```\n"
        ),
        description=f"Audit log checkpoint of event #{checkpoint['seq']}",
    )
    checkpoint["delivery"] = deliver_emails()
    get_run_logger().info(
        "Audit log checkpoint of event #%s, kept in %s; emails sent %d",
        checkpoint["seq"],
        checkpoint["file"],
        checkpoint["delivery"]["sent"],
    )
    return checkpoint
