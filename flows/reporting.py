"""What a sweep publishes: a table artifact of every record it acted on, and its summary."""

from datetime import date
from typing import Any

from prefect import get_run_logger
from prefect.artifacts import create_table_artifact


def publish_sweep(
    key: str, day: date, phases: list[dict[str, Any]], delivery: dict[str, Any]
) -> dict[str, Any]:
    """Publish the sweep's table artifact (under `key`) and return its summary."""
    rows = [dict(row, phase=phase["phase"]) for phase in phases for row in phase["acted"]]
    summary = {phase["phase"]: len(phase["acted"]) for phase in phases}
    queued = sum(phase["queued"] for phase in phases)
    create_table_artifact(
        key=key,
        table=rows or [{"phase": "-", "reference": "-", "action": "nothing was due", "detail": ""}],
        description=(
            f"{key.replace('-', ' ').capitalize()} for {day.isoformat()}: "
            + ", ".join(f"{name} {count}" for name, count in summary.items())
            + f"; emails queued {queued}, sent {delivery['sent']}"
        ),
    )
    get_run_logger().info("%s %s: %s; delivery %s", key, day, summary, delivery)
    return {"as_of": day.isoformat(), "phases": summary, "queued": queued, "delivery": delivery}
