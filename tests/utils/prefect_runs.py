"""Running a flow under the Prefect test harness and reading back what its run published."""

import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId


def run_flow(flow: Any, **parameters: Any) -> tuple[Any, str, UUID]:
    state = flow(**parameters, return_state=True)
    assert state.is_completed(), state
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        name = client.read_flow_run(run_id).name
    return state.result(), name, run_id


def artifacts_of(run_id: UUID) -> list[Any]:
    with get_client(sync_client=True) as client:
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )


def wait_for_triggers(api_url: str | None = None, seconds: float = 120) -> None:
    """Wait until the server's triggers service has loaded every automation that exists now.

    It loads new automations on its own clock (every few seconds on SQLite), and an event that
    comes before misses its trigger. A probe automation, made after the others, pauses itself
    when its event arrives; the service loads automations all together, so once the probe has
    acted the ones before it are loaded too. Its event is sent again each second until then."""
    from prefect.events.actions import PauseAutomation
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from notifications.publication import post_events

    probe = f"isa.test.triggers-loaded.{uuid4().hex}"
    with (
        temporary_settings({PREFECT_API_URL: api_url} if api_url else {}),
        get_client(sync_client=True) as client,
    ):
        probe_id = client.create_automation(
            AutomationCore(
                name=probe,
                description="A test's probe: pauses itself once the triggers service loads it",
                trigger=EventTrigger(
                    expect={probe}, posture=Posture.Reactive, threshold=1, within=0
                ),
                actions=[PauseAutomation(source="inferred")],
            )
        )
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                event = {
                    "id": str(uuid4()),
                    "occurred": datetime.now(UTC).isoformat(),
                    "event": probe,
                    "resource": {"prefect.resource.id": f"prefect.automation.{probe_id}"},
                }
                post_events(str(client.api_url), [event], timeout=10)
                probed = client.read_automation(probe_id)
                if probed is not None and not probed.enabled:
                    return
                time.sleep(1)
            raise AssertionError(f"the triggers service loaded no new automation in {seconds} s")
        finally:
            client.delete_automation(probe_id)
