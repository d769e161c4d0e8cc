"""`isa disposal`: the destruction of shared data owed when an arrangement ends (§35-§37)."""

import json

from sqlmodel import col, select

from isa.cli.common import (
    As,
    Context,
    Json,
    disposal_app,
    events_of,
    report,
    session_scope,
)
from models.clocks import local_date

# --- disposal ---


@disposal_app.command(name="confirm")
def disposal_confirm(
    task: str, *, method: str, certificate: str, as_: As, json_: Json = False
) -> None:
    """Record the destruction of the data (a nominated representative of that agency)."""
    from tasks.disposal import confirm_disposal

    ctx = Context()
    with session_scope(ctx) as session:
        events = confirm_disposal(
            session, task=task, method=method, certificate=certificate, actor=as_, now=ctx.now
        )
    lines = [f"disposal {task.upper()} confirmed"]
    lines += [
        f"{e.as_dict()['arrangement']} is closed" for e in events_of(events, "arrangement.closed")
    ]
    report(events, json_, lines)


@disposal_app.command(name="list")
def disposal_list(*, overdue: bool = False, json_: Json = False) -> None:
    """List disposal tasks, or only those past their due date and not confirmed."""
    from models.tables import Agency, Arrangement, DisposalTask

    ctx = Context()
    today = local_date(ctx.now)
    with session_scope(ctx) as session:
        stmt = (
            select(DisposalTask, Arrangement.reference, Agency.name)
            .join(Arrangement, col(Arrangement.id) == DisposalTask.arrangement_id)
            .join(Agency, col(Agency.id) == DisposalTask.agency_id)
            .order_by(col(DisposalTask.due_on), col(DisposalTask.id))
        )
        if overdue:
            stmt = stmt.where(DisposalTask.status == "pending").where(DisposalTask.due_on < today)
        rows = [
            {
                "task": t.reference,
                "arrangement": ref,
                "agency": agency,
                "due_on": t.due_on.isoformat(),
                "status": t.status.value,
                "certificate": t.certificate,
            }
            for t, ref, agency in session.exec(stmt).all()
        ]
    if json_:
        print(json.dumps(rows))
        return
    for row in rows:
        print(
            f"{row['task']}  {row['arrangement']}  due {row['due_on']}  {row['status']:<9} "
            f"{row['agency']}"
        )
