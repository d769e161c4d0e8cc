"""What a sweep publishes: a table artifact of every record it acted on (and each step a
rehearsal held back), and its summary."""

from datetime import date
from typing import Any

from prefect import get_run_logger

from flows.artifacts import publish_table
from tasks.flow_tasks import summarise


def publish_sweep(
    key: str, day: date, phases: list[dict[str, Any]], delivery: dict[str, Any]
) -> dict[str, Any]:
    """Publish the sweep's table artifact (under `key`) and return its summary."""
    summary = summarise(day, phases, delivery)
    rows = [dict(row, phase=phase["phase"]) for phase in phases for row in phase["acted"]]
    rows += [
        dict(row, action=f"held back until the clock reaches it: {row['action']}")
        for row in summary["held"]
    ]
    counts = summary["phases"]
    description = (
        f"{key.replace('-', ' ').capitalize()} for {day.isoformat()}: "
        + ", ".join(f"{name} {count}" for name, count in counts.items())
        + f"; emails queued {summary['queued']}, sent {delivery['sent']}"
        + (f"; held back {len(summary['held'])}" if summary["held"] else "")
    )
    publish_table(
        key=key,
        table=rows or [{"phase": "-", "reference": "-", "action": "nothing was due", "detail": ""}],
        description=description,
    )
    # the run's one summary line, in the artifact's words
    get_run_logger().info(description)
    return summary
