"""A partner agency's withdrawal from the Protocol by written notice to the chairs (§42).

Started by: the `isa.withdrawal.raised` event that `isa withdraw` (and a resolution meeting
that decides withdrawal) emits, a trigger in prefect.yaml; its own checker run on the effective
date when that is later; the daily deadline sweep for a notice given while the server was down;
or the Prefect UI's run form.
Writes: on the effective date (at once when that is today, already done by `isa withdraw` in
the transaction that recorded the notice) the agency leaves every arrangement, two-sided ones
are terminated and the rest reviewed without it (one awaiting approval becomes a draft again,
at a new version), its access is revoked and it is withdrawn;
then disposal tasks for the data shared under what ended. Sends the notice to the chairs and
word to every partner, and publishes what it did as an artifact.
"""

from datetime import date
from typing import Any

import pendulum
from prefect import flow, task
from prefect.artifacts import create_table_artifact

from flows.checks import Check, at_local, schedule_runs
from flows.naming import about
from models.enums import WithdrawalStatus
from tasks import runtime
from tasks.flow_tasks import (
    carry_out_withdrawal,
    deliver_emails,
    schedule_ended_disposals,
    start_matter,
)
from tasks.lookup import withdrawal_by_ref
from tasks.runtime import resolve_as_of

EFFECTIVE_HOUR = 0  # a withdrawal takes effect at the start of its effective date (London)


@task
def schedule_effective_check(withdrawal: str) -> list[str]:
    """Schedule this flow for the start of the effective date, if that is still to come."""
    with runtime.session() as session:
        notice = withdrawal_by_ref(session, withdrawal)
        if notice.status == WithdrawalStatus.COMPLETED:
            return []
        effective_on = pendulum.Date(
            notice.effective_on.year, notice.effective_on.month, notice.effective_on.day
        )
    at = at_local(effective_on, EFFECTIVE_HOUR)
    if at <= runtime.now():
        return []
    check = Check(
        label="effective date",
        at=at,
        parameters={
            "withdrawal": withdrawal,
            "as_of": effective_on.isoformat(),
            "schedule_check": False,
        },
        key=f"withdrawal-{withdrawal}-effective",
    )
    return schedule_runs(
        "withdrawal/withdrawal",
        withdrawal,
        [check],
        f"the daily deadline sweep carries out {withdrawal}",
    )


def _publish(withdrawal: str, day: date, rows: list[dict[str, str]]) -> str:
    with runtime.session() as session:
        notice = withdrawal_by_ref(session, withdrawal)
        status = notice.status.value
        effective = notice.effective_on.isoformat()
    create_table_artifact(
        key=f"withdrawal-{withdrawal.lower()}",
        table=rows or [{"what": "nothing due yet", "detail": f"effective {effective}"}],
        description=f"Withdrawal {withdrawal} on {day}: {status}, effective {effective}",
    )
    return status


@flow(name="withdrawal", flow_run_name=about("withdrawal", "withdrawal"))
def withdrawal_flow(
    withdrawal: str, as_of: date | None = None, schedule_check: bool = True
) -> dict[str, Any]:
    """Carry out the withdrawal when its date has come (or schedule that), schedule disposal of
    what ended, send the emails, and publish what it did."""
    reference = withdrawal.strip().upper()
    day = resolve_as_of(as_of)
    first = start_matter("withdrawal", reference)
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
    checks = schedule_effective_check(reference) if schedule_check else []
    rows += [{"what": "checker run scheduled", "detail": check} for check in checks]
    disposal = schedule_ended_disposals(day)
    rows += [
        {"what": "disposal scheduled", "detail": f"{row['reference']}: {row['detail']}"}
        for row in disposal["acted"]
    ]
    delivery = deliver_emails()
    status = _publish(reference, day, rows)
    return {"first_run": first, "status": status, "did": rows, "delivery": delivery}
