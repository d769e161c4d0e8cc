"""A partner agency's withdrawal from the Protocol by written notice to the chairs (§42).

Started by: the `isa.withdrawal.raised` event that giving notice publishes (through the event
outbox; a trigger in prefect.yaml; a resolution meeting that decides withdrawal gives notice
too), its own checker run on the effective date when that is later, or the Prefect UI's run
form.
Writes: on the effective date (at once when that is today, already done by `isa withdraw` in
the transaction that recorded the notice) the agency leaves every arrangement, two-sided ones
are terminated and the rest reviewed without it (one awaiting approval becomes a draft again,
at a new version), its access is revoked and it is withdrawn;
then disposal tasks for the data shared under what ended. Sends the notice to the chairs and
word to every partner, and publishes what happened as an artifact.
"""

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task

from flows.artifacts import publish_table
from flows.checks import Check, cancel_checks, schedule_runs
from flows.naming import about
from models.clocks import local_date
from tasks.flow_tasks import (
    MatterStory,
    carry_out_withdrawal,
    deliver_emails,
    read_withdrawal,
    resolve_as_of,
    schedule_ended_disposals,
)

DEPLOYMENT = "withdrawal/withdrawal"


@task
def schedule_effective_check(story: MatterStory) -> list[str]:
    """Schedule this flow for the start of the effective date, if that is still to come."""
    at = story.checks_to_come().get("effective date")
    if at is None:
        return []
    check = Check(
        label="effective date",
        at=at,
        parameters={
            "withdrawal": story.reference,
            "as_of": local_date(at).isoformat(),
            "schedule_check": False,
        },
        key=f"withdrawal-{story.reference}-effective",
    )
    return schedule_runs(
        DEPLOYMENT,
        story.reference,
        [check],
        f"the daily deadline sweep carries out {story.reference}",
    )


@task
def cancel_effective_check(story: MatterStory) -> list[str]:
    why = f"{story.reference} has taken effect: nothing left to carry out"
    return cancel_checks(DEPLOYMENT, "withdrawal", story.reference, why)


@flow(name="withdrawal", flow_run_name=about("withdrawal", "withdrawal"))
def withdrawal_flow(
    withdrawal: str, as_of: date | None = None, schedule_check: bool = True
) -> dict[str, Any]:
    """Carry out the withdrawal when its date has come (or schedule that), schedule disposal of
    what ended, send the emails, and publish what happened."""
    reference = withdrawal.strip().upper()
    day = resolve_as_of(as_of)
    rows: list[dict[str, str]] = []
    for event in carry_out_withdrawal(reference, day):
        if event["event"] == "withdrawal.completed":
            rows.append({"what": "took effect", "detail": event["effective_on"]})
            rows += [{"what": "terminated", "detail": ref} for ref in event["terminated"]]
            rows += [{"what": "left, reviewed by the rest", "detail": ref} for ref in event["left"]]
            rows += [
                {"what": "left before it came into force, a draft", "detail": ref}
                for ref in event["redrafted"]
            ]
    story = read_withdrawal(reference)
    checks = schedule_effective_check(story) if schedule_check else []
    rows += [{"what": "checker run scheduled", "detail": check} for check in checks]
    cancelled = cancel_effective_check(story) if story.settled else []
    rows += [{"what": "checker run cancelled", "detail": name} for name in cancelled]
    disposal = schedule_ended_disposals(day)
    rows += [
        {"what": "disposal scheduled", "detail": f"{row['reference']}: {row['detail']}"}
        for row in disposal["acted"]
    ]
    delivery = deliver_emails()
    story = read_withdrawal(reference)
    table = [{"when": row["when"], "what": row["what"], "detail": ""} for row in story.table()]
    table += [
        {"when": day.isoformat(), "what": row["what"], "detail": row["detail"]} for row in rows
    ]
    publish_table(
        key=f"withdrawal-{reference.lower()}",
        table=table,
        description=f"Withdrawal {reference} on {day.isoformat()}: {story.summary()}",
    )
    get_run_logger().info(story.summary())
    return {"status": story.status, "did": rows, "cancelled": cancelled, "delivery": delivery}
