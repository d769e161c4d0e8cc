"""`isa disposal`: the destruction of shared data owed when an arrangement ends (§35-§37)."""

from isa.cli.apps import As, Json
from isa.cli.common import act, events_of, report
from tasks.protocol.disposal import confirm_disposal

# --- disposal ---


def disposal_confirm(
    task: str, *, method: str, certificate: str, as_: As, json_: Json = False
) -> None:
    """Record the destruction of the data (a nominated representative of that agency)."""
    _ctx, events = act(
        confirm_disposal, task=task, method=method, certificate=certificate, actor=as_
    )
    lines = [f"disposal {task.upper()} confirmed"]
    lines += [
        f"{e.as_dict()['arrangement']} is closed" for e in events_of(events, "arrangement.closed")
    ]
    report(events, json_, lines)
