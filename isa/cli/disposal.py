"""`isa disposal`: the destruction of shared data owed when an arrangement ends (§35-§37)."""

import json

from isa.cli.common import As, Context, Json, act, events_of, report, session_scope
from models.clocks import local_date
from tasks.disposal import confirm_disposal
from tasks.listings import as_dicts, disposal_tasks

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


def disposal_list(*, overdue: bool = False, json_: Json = False) -> None:
    """List disposal tasks, or only those past their due date and not confirmed."""
    ctx = Context()
    with session_scope(ctx) as session:
        found = disposal_tasks(session, overdue_on=local_date(ctx.now) if overdue else None)
        rows = as_dicts(found)
    if json_:
        print(json.dumps(rows))
        return
    for row in rows:
        print(
            f"{row['task']}  {row['arrangement']}  due {row['due_on']}  {row['status']:<9} "
            f"{row['agency']}"
        )
