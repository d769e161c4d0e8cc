"""`isa overview`: what is overdue, what falls due in the next days, and what changed in the last
day, across the register (the daily `register-overview` artifact says the same)."""

import json
from typing import Annotated

from cyclopts import Parameter

from isa.cli.apps import Json, at_least
from isa.cli.common import Context, session_scope
from models.errors import InvalidInput
from tasks.overview import register_overview


def overview(
    *,
    days: Annotated[int, Parameter(help="How far ahead to look, in days.")] = 30,
    json_: Json = False,
) -> None:
    """Show what is overdue and with whom, the deadlines of the next --days days, and what
    changed in the last day."""
    at_least("--days", days)
    if days > 366:
        raise InvalidInput(f"--days must be at most 366, not {days}")
    ctx = Context()
    with session_scope(ctx) as session:
        found = register_overview(session, now=ctx.now, days=days)
    if json_:
        print(json.dumps(found.as_dict()))
        return
    for line in found.lines():
        print(line)
