"""Flow run names that say what ran and for when: `review-sweep-2026-12-01`."""

from collections.abc import Callable
from typing import Any

import pendulum
from prefect.runtime import flow_run

from models.clocks import LONDON
from tasks.flow_tasks import now, resolve_as_of


def dated(prefix: str) -> Callable[[], str]:
    def name() -> str:
        parameters = flow_run.parameters or {}
        return f"{prefix}-{resolve_as_of(parameters.get('as_of')).isoformat()}"

    return name


def at_minute(prefix: str) -> Callable[[], str]:
    """For runs that act on "now": `deliver-outbox-2026-11-25T15:58`."""

    def name() -> str:
        return f"{prefix}-{now().in_timezone('Europe/London'):%Y-%m-%dT%H:%M}"

    return name


def delivery_outcome(report: dict[str, Any]) -> str:
    """What a delivery run did, as the tail of its name: `sent-3`, `sent-0-retrying-2`,
    `relay-unreachable-5-kept`, `nothing-due`."""
    if report.get("relay_error"):
        return f"relay-unreachable-{report['released']}-kept"
    events = report.get("events") or {}
    counts = {
        "sent": report.get("sent", 0),
        "retrying": report.get("retrying", 0),
        "failed": report.get("failed", 0),
        "events": events.get("published", 0),
    }
    if not (report.get("claimed") or events.get("published") or events.get("left")):
        return "nothing-due"
    return "-".join(f"{what}-{n}" for what, n in counts.items() if n or what == "sent")


def name_after(base: str, outcome: str) -> str | None:
    """Rename the flow run this is called in `{base}-{outcome}-{its id's first 6}`: runs started
    in the same minute (a burst of triggered deliveries) are told apart, each by what it did.
    Returns the name, or None outside a flow run."""
    from prefect.client.orchestration import get_client

    run_id = flow_run.id
    if not run_id:
        return None
    name = f"{base}-{outcome}-{str(run_id)[:6]}"
    with get_client(sync_client=True) as client:
        client.update_flow_run(run_id, name=name)
    return name


def about(prefix: str, parameter: str) -> Callable[[], str]:
    def name() -> str:
        parameters = flow_run.parameters or {}
        return f"{prefix}-{parameters.get(parameter)}-{resolve_as_of(parameters.get('as_of'))}"

    return name


# how each deployment's runs are named (the flows' `flow_run_name` above), for the runs the
# server's scheduler creates ahead of time with generated names ("olivine-woodlouse")
DATED = (
    "review-sweep",
    "access-sweep",
    "disposal-sweep",
    "deadline-sweep",
    "audit-checkpoint",
    "monitoring-review",
)
AT_MINUTE = ("deliver-outbox",)


def upcoming_name(deployment: str, expected_start: pendulum.DateTime) -> str | None:
    """The name a scheduled run of `deployment` will take when it starts at `expected_start`
    (a sweep by its London date, a delivery by its London minute); None if it has none."""
    local = pendulum.instance(expected_start).in_timezone(LONDON)
    if deployment in DATED:
        return f"{deployment}-{local.date().isoformat()}"
    if deployment in AT_MINUTE:
        return f"{deployment}-{local:%Y-%m-%dT%H:%M}"
    return None


PAGE = 200  # the most runs the API returns at once


def name_upcoming_runs() -> int:
    """Give each scheduled run of a scheduled deployment the name it will run under, so the
    UI's list says what is coming ("review-sweep-2026-12-05") before it runs; returns how many
    were renamed. Runs that already carry their name are left alone. The server's scheduler
    keeps a few runs of each deployment ahead (three days of a daily sweep, an hour or so of
    deliveries), so this is a handful of runs; the runs it adds later are named by `isa up`'s
    serving process within 30 s (isa.deployments) and by every delivery run."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    renamed = 0
    with get_client(sync_client=True) as client:
        deployments = {
            d.id: d.name
            for d in client.read_deployments(
                deployment_filter=DeploymentFilter(
                    name=DeploymentFilterName(any_=[*DATED, *AT_MINUTE])
                )
            )
        }
        if not deployments:
            return 0
        upcoming = FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
        )
        offset = 0
        while True:
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(
                    name=DeploymentFilterName(any_=sorted(set(deployments.values())))
                ),
                flow_run_filter=upcoming,
                limit=PAGE,
                offset=offset,
            )
            for run in runs:
                deployment = deployments.get(run.deployment_id) if run.deployment_id else None
                if deployment is None or run.expected_start_time is None:
                    continue
                name = upcoming_name(deployment, pendulum.instance(run.expected_start_time))
                if name is None or run.name.startswith(f"{deployment}-"):
                    continue
                client.update_flow_run(run.id, name=name)
                renamed += 1
            if len(runs) < PAGE:
                return renamed
            offset += PAGE
