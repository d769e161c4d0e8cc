"""The deadline sweep: the safety net for suspensions and withdrawals (§41, §42, DESIGN §7), and
the chaser of partners yet to answer a notice: consent withdrawn (§9, §18), data found
inaccurate (§33), a request to share data onward with a third party (§11, §15), and of
information requests (§7) nearing or past their statutory due date and security incidents (§29).

Started by: the daily schedule at 06:15 Europe/London (prefect.yaml, the `deadline-sweep`
deployment: before the access, disposal and review sweeps, so they act on what it changed the
same morning), the Prefect UI's run form, or `isa sweep deadlines [--as-of DATE]`.
Writes: whatever a suspension's checker runs would have done by `as_of` and did not (reminder,
escalation, notice, end), each once; withdrawals whose effective date has come carried out;
each unanswered notice (a withdrawn consent's, a data quality notice, a request for consent to
share data onward) chased in the partner's
working days (a reminder at 2, another with its DPO told at 5, the chairs told at 10), each rung
once; each information request without an outcome reminded to its agency's handlers 5 and 1
working days before its due date and its DPO and the chairs told the day after, and each
unanswered consultation of an originator chased 1 and 3 working days after its reply-by date
(its DPO told at the second), each rung once; each security incident still undecided chased as
far as its hours since awareness owe (the reporting agency's DPO reminded at 24, 48 and 66
hours; at 72 its signatories and the chairs told: the incident's own checker runs do this on the
hour, and the sweep schedules none of them again), and each the originator has not acknowledged
chased in its working days.
Schedules again any checker run an open suspension or withdrawal is missing (deleting and
re-creating a deployment, as moving between `isa up` and workers does, drops its scheduled
runs; a run already scheduled is kept by its idempotency key). Sends the emails (and the Prefect
events still owed), and publishes a table artifact of what it did. A matter raised while the
server was down needs nothing from it: its event waits in the event outbox and starts its flow
when published. Publishes the register overview (what is overdue, the next 30 days' deadlines,
what changed in the last day) as the `register-overview` artifact, one version a day.
"""

from datetime import date
from typing import Any

from prefect import flow, get_run_logger

from flows.artifacts import publish_markdown
from flows.naming import dated
from flows.reporting import publish_sweep
from flows.suspension import schedule_suspension_checks
from flows.withdrawal import schedule_effective_check
from tasks.flow_tasks import (
    deliver_emails,
    read_open_matters,
    read_register_overview,
    resolve_as_of,
    sweep_deadlines,
)


@flow(name="deadline-sweep", flow_run_name=dated("deadline-sweep"))
def deadline_sweep(as_of: date | None = None) -> dict[str, Any]:
    """Act on every suspension and withdrawal deadline due by `as_of`, then send the emails."""
    day = resolve_as_of(as_of)
    phases = sweep_deadlines(day)
    checks: list[str] = []
    for story in read_open_matters():
        schedule = (
            schedule_suspension_checks if story.kind == "suspension" else schedule_effective_check
        )
        checks += [f"{story.reference} {check}" for check in schedule(story)]
    if checks:
        get_run_logger().info("checker runs scheduled (or already so): %s", "; ".join(checks))
    delivery = deliver_emails()
    overview = read_register_overview()
    publish_markdown(
        key="register-overview",
        markdown=overview["markdown"],
        description=(
            f"Register overview for {overview['as_of']}: {overview['overdue']} overdue, "
            f"{overview['coming']} due in the next 30 days"
        ),
    )
    return {
        **publish_sweep("deadline-sweep", day, phases, delivery),
        "checks": checks,
        "overview": {k: overview[k] for k in ("overdue", "coming")},
    }
