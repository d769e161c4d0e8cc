"""The deadline sweep: the safety net for suspensions and withdrawals (§41, §42, DESIGN §7).

Started by: the daily schedule at 06:15 Europe/London (prefect.yaml, the `deadline-sweep`
deployment: before the access, disposal and review sweeps, so they act on what it changed the
same morning), the Prefect UI's run form, or `isa sweep deadlines [--as-of DATE]`.
Writes: whatever a suspension's checker runs would have done by `as_of` and did not (reminder,
escalation, notice, end), each once; withdrawals whose effective date has come carried out;
and a flow run started for every suspension or withdrawal raised while the Prefect server was
down. Sends the emails, and publishes a table artifact of what it did.
"""

from datetime import date
from typing import Any

from prefect import flow, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import DeploymentStatus
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound

from flows.naming import dated
from flows.reporting import publish_sweep
from tasks import runtime
from tasks.flow_tasks import deliver_emails, sweep_matter_deadlines
from tasks.runtime import resolve_as_of
from tasks.suspensions import unstarted_matters


def hand_over(kind: str, reference: str, day: date) -> dict[str, str]:
    """Start the flow of a matter whose flow never ran: a run of its deployment, under a key
    that keeps a second sweep the same day from starting it again (a run that failed before
    marking its start is tried again the next day). Reported as started only when a runner
    or worker is serving the deployment (Prefect marks it ready when one polls); otherwise the
    run waits in the UI for one, and the report says so."""
    name = f"{kind}/{kind}"
    try:
        run = run_deployment(
            name=name,
            parameters={kind: reference},
            idempotency_key=f"{kind}-{reference}-started-by-sweep-{day.isoformat()}",
            flow_run_name=f"{kind}-{reference}-started-by-the-deadline-sweep",
            timeout=0,
            as_subflow=False,
        )
    except ObjectNotFound:
        why = f"no {name} deployment exists: the next sweep tries again"
        return {"reference": reference, "action": "not started", "detail": why}
    with get_client(sync_client=True) as client:
        status = client.read_deployment_by_name(name).status
    if status != DeploymentStatus.READY:
        why = f"no runner is serving {name}: run {run.name} waits for one"  # type: ignore[union-attr]
        return {"reference": reference, "action": "not started", "detail": why}
    return {"reference": reference, "action": f"{kind} flow started", "detail": str(run.id)}  # type: ignore[union-attr]


@task
def start_missed_flows(day: date) -> list[dict[str, Any]]:
    """A run of the suspension or withdrawal deployment for each matter whose flow never ran."""
    with runtime.session() as session:
        matters = unstarted_matters(session, runtime.now())
    return started_phases([hand_over(kind, reference, day) for kind, reference in matters])


def started_phases(handed: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The matters whose flow was started, and apart from them those whose flow was not."""
    started = [row for row in handed if row["action"] != "not started"]
    missed = [row for row in handed if row["action"] == "not started"]
    return [
        {"phase": "flows started", "acted": started, "queued": 0, "held": []},
        {"phase": "flows not started", "acted": missed, "queued": 0, "held": []},
    ]


@flow(name="deadline-sweep", flow_run_name=dated("deadline-sweep"))
def deadline_sweep(as_of: date | None = None) -> dict[str, Any]:
    """Act on every suspension and withdrawal deadline due by `as_of`, start the flows of
    matters raised while the server was down, then send the emails."""
    day = resolve_as_of(as_of)
    phases = sweep_matter_deadlines(day)
    started = start_missed_flows(day)
    delivery = deliver_emails()
    return publish_sweep("deadline-sweep", day, [*phases, *started], delivery)
