"""Running a flow under the Prefect test harness and reading back what its run published."""

from typing import Any
from uuid import UUID

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
