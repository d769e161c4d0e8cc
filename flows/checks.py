"""Precise checker runs for the long waits (DESIGN §7): when a clock starts, the flow schedules
a run of a deployment for each deadline, which admins see under upcoming runs in the UI. The
idempotency key makes scheduling the same check twice a no-op; the checker does nothing if the
matter was settled by then; a daily sweep covers any check that never ran."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pendulum
from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.exceptions import ObjectNotFound
from prefect.states import Cancelled, Scheduled

from models.clocks import LONDON, local_date


@dataclass(frozen=True)
class Check:
    """One checker run: `label` ("day 7") names it in the UI until it runs, `key` makes it
    unique."""

    label: str
    at: pendulum.DateTime
    parameters: dict[str, Any]
    key: str


def coming_checks(
    kind: str, subject: str, moments: Mapping[str, pendulum.DateTime], /, **parameters: Any
) -> list[Check]:
    """A checker run of `subject` at each of `moments` (by label: "day 7"), with `parameters`
    naming the matter, the day it checks, and no scheduling of its own; keyed
    `<kind>-<subject>-<label>` so scheduling it again is a no-op."""
    return [
        Check(
            label=label,
            at=at,
            parameters={
                **parameters,
                "as_of": local_date(at).isoformat(),
                "schedule_checks": False,
            },
            key=f"{kind}-{subject}-{label.replace(' ', '')}",
        )
        for label, at in moments.items()
    ]


def schedule_runs(
    deployment: str,
    subject: str,
    checks: Sequence[Check],
    safety_net: str,
    prefix: str | None = None,
) -> list[str]:
    """Schedule each check on `subject` as a run of `deployment`, listed as upcoming under a
    name that says what it checks; without that deployment (no server, or run outside `isa up`),
    log who covers it instead and schedule nothing. One client and one read of the deployment
    for all of them: a suspension's four checks cost four requests, not four `run_deployment`
    calls (2.7 s of a 3.2 s flow run, measured on workers). Each is named
    `{prefix}-{subject}-{label}-check`, the prefix the flow's name unless given (the matter flow's
    deployments name their runs for their duty)."""
    flow = prefix or deployment.split("/")[0]
    scheduled: list[str] = []
    if not checks:
        return scheduled
    with get_client(sync_client=True) as client:
        try:
            found = client.read_deployment_by_name(deployment)
        except ObjectNotFound:
            get_run_logger().warning("no %s deployment is served: %s", deployment, safety_net)
            return scheduled
        for check in checks:
            run = client.create_flow_run_from_deployment(
                found.id,
                parameters=check.parameters,
                state=Scheduled(scheduled_time=check.at),
                name=f"{flow}-{subject}-{check.label.replace(' ', '-')}-check",
                idempotency_key=check.key,
            )
            when = check.at.in_timezone(LONDON).to_datetime_string()
            scheduled.append(f"{check.label}: {when} London ({run.id})")
    return scheduled


def cancel_checks(deployment: str, parameter: str, reference: str, why: str) -> list[str]:
    """Cancel the checker runs of `deployment` still scheduled for `reference` (the value of
    their `parameter`), each with `why` as its state message; returns their names. Without that
    deployment there is nothing to cancel."""
    name = deployment.split("/")[1]
    cancelled: list[str] = []
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[name])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType.SCHEDULED, StateType.PENDING])
                )
            ),
        )
        for run in runs:
            if run.parameters.get(parameter) != reference or "as_of" not in run.parameters:
                continue
            client.set_flow_run_state(run.id, Cancelled(message=why), force=True)
            cancelled.append(run.name)
    return sorted(cancelled)
