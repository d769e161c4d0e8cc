"""Flow run names that say what ran and for when: `review-sweep-2026-12-01`."""

from collections.abc import Callable

from prefect.runtime import flow_run

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


def about(prefix: str, parameter: str) -> Callable[[], str]:
    def name() -> str:
        parameters = flow_run.parameters or {}
        return f"{prefix}-{parameters.get(parameter)}-{resolve_as_of(parameters.get('as_of'))}"

    return name
